"""StarGAN generator and discriminator (Choi et al. 2018), as AKD-GAN uses them.

The generator is Enc -> residual blocks -> Dec (Eq. 4.1). Grad-CAM attention
(Section 4.3.1) cuts it after residual block b, so besides `__call__` it
exposes `features(x, c, block)` (output of block b, after the skip add) and
`tail(f, block)` (the remaining blocks and the decoder). Layer details follow
StarGAN's official `model.py`; with conv_dim 64 / 6 blocks / c_dim 5 this
gives the 8,430,528 parameters of Table 4.1 (1,231,840 for Lite-S, conv_dim
32 / 3 blocks).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

# NOTE: PyTorch's Conv2d(k=4, s=2, p=1) pads (1, 1); Flax 'SAME' would pad
# (1, 2). ConvTranspose2d(k=4, s=2, p=1) is padding k - 1 - p = 2 per side
# with a transposed (flipped) kernel.
_PAD1 = ((1, 1), (1, 1))
_PAD2 = ((2, 2), (2, 2))
_PAD3 = ((3, 3), (3, 3))

INITS = {
    "flax_default": nn.initializers.lecun_normal(),
    # PyTorch's default conv init: kaiming_uniform(a=sqrt(5)).
    "torch_default": nn.initializers.variance_scaling(
        1 / 3, "fan_in", "uniform"
    ),
}


def kernel_init(name: str) -> Any:
  if name not in INITS:
    raise ValueError(
        f"Unknown model.init {name!r}; use one of " f"{sorted(INITS)}."
    )
  return INITS[name]


def _norm(name: str) -> nn.Module:
  # Per-sample, per-channel statistics with affine parameters and no running
  # averages (spec pitfall 5); nothing mixes samples, which Grad-CAM's
  # batch-sum trick relies on.
  return nn.GroupNorm(num_groups=None, group_size=1, epsilon=1e-5, name=name)


class ResidualBlock(nn.Module):
  """x + IN(Conv3x3(ReLU(IN(Conv3x3(x))))); no activation after the add."""

  features: int
  init_scheme: str = "flax_default"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    k = kernel_init(self.init_scheme)
    y = nn.Conv(
        self.features,
        (3, 3),
        padding=_PAD1,
        use_bias=False,
        kernel_init=k,
        name="conv1",
    )(x)
    y = nn.relu(_norm("norm1")(y))
    y = nn.Conv(
        self.features,
        (3, 3),
        padding=_PAD1,
        use_bias=False,
        kernel_init=k,
        name="conv2",
    )(y)
    return x + _norm("norm2")(y)


def tile_labels(x: jax.Array, c: jax.Array) -> jax.Array:
  """Concatenates labels c (B, K), tiled over space, to images x (B,H,W,3)."""
  if c.ndim != 2 or c.shape[0] != x.shape[0]:
    raise ValueError(
        f"Labels must be (batch, c_dim) for images {x.shape}, "
        f"got {c.shape}."
    )
  tiled = jnp.broadcast_to(
      c[:, None, None, :].astype(x.dtype), x.shape[:3] + c.shape[1:]
  )
  return jnp.concatenate([x, tiled], axis=-1)


class Generator(nn.Module):
  """G(x, c): StarGAN generator in NHWC, output tanh in [-1, 1]."""

  conv_dim: int = 64
  repeat_num: int = 6
  init_scheme: str = "flax_default"

  def setup(self):
    k = kernel_init(self.init_scheme)
    d = self.conv_dim
    self.enc_convs = [
        nn.Conv(d, (7, 7), padding=_PAD3, use_bias=False, kernel_init=k),
        nn.Conv(
            2 * d,
            (4, 4),
            strides=2,
            padding=_PAD1,
            use_bias=False,
            kernel_init=k,
        ),
        nn.Conv(
            4 * d,
            (4, 4),
            strides=2,
            padding=_PAD1,
            use_bias=False,
            kernel_init=k,
        ),
    ]
    self.enc_norms = [_norm(f"enc_norm_{i}") for i in range(3)]
    self.blocks = [
        ResidualBlock(4 * d, self.init_scheme) for _ in range(self.repeat_num)
    ]
    self.dec_convs = [
        nn.ConvTranspose(
            2 * d,
            (4, 4),
            strides=(2, 2),
            padding=_PAD2,
            use_bias=False,
            transpose_kernel=True,
            kernel_init=k,
        ),
        nn.ConvTranspose(
            d,
            (4, 4),
            strides=(2, 2),
            padding=_PAD2,
            use_bias=False,
            transpose_kernel=True,
            kernel_init=k,
        ),
    ]
    self.dec_norms = [_norm(f"dec_norm_{i}") for i in range(2)]
    self.out_conv = nn.Conv(
        3, (7, 7), padding=_PAD3, use_bias=False, kernel_init=k
    )

  def block_index(self, block: int) -> int:
    """A residual-block index; negative counts from the end (-1 = last)."""
    if not -self.repeat_num <= block < self.repeat_num:
      raise ValueError(
          f"Residual block {block} does not exist; the "
          f"generator has {self.repeat_num} blocks."
      )
    return block % self.repeat_num

  def features(self, x: jax.Array, c: jax.Array, block: int = -1) -> jax.Array:
    """F_b: the output of residual block `block` (after the skip add)."""
    h = tile_labels(x, c)
    for conv, norm in zip(self.enc_convs, self.enc_norms):
      h = nn.relu(norm(conv(h)))
    for blk in self.blocks[: self.block_index(block) + 1]:
      h = blk(h)
    return h

  def tail(self, f: jax.Array, block: int = -1) -> jax.Array:
    """The rest of G after block `block`: later blocks, decoder, tanh."""
    h = f
    for blk in self.blocks[self.block_index(block) + 1 :]:
      h = blk(h)
    for conv, norm in zip(self.dec_convs, self.dec_norms):
      h = nn.relu(norm(conv(h)))
    return jnp.tanh(self.out_conv(h))

  def __call__(self, x: jax.Array, c: jax.Array) -> jax.Array:
    return self.tail(self.features(x, c, -1), -1)


class Discriminator(nn.Module):
  """D(x) -> (out_src (B, h, w, 1) PatchGAN scores, out_cls (B, c_dim) logits).

  `repeat_num` strided 4x4 convs (channels doubling from conv_dim, LeakyReLU
  0.01, no normalisation), then a 3x3 source head and a classification head
  whose kernel covers the whole final map (image_size / 2**repeat_num).
  """

  image_size: int = 128
  conv_dim: int = 64
  c_dim: int = 5
  repeat_num: int = 6
  init_scheme: str = "flax_default"

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    if x.shape[1:3] != (self.image_size, self.image_size):
      raise ValueError(
          f"Discriminator built for {self.image_size}px images "
          f"got {x.shape}."
      )
    k = kernel_init(self.init_scheme)
    h = x
    for i in range(self.repeat_num):
      h = nn.Conv(
          self.conv_dim * 2**i,
          (4, 4),
          strides=2,
          padding=_PAD1,
          kernel_init=k,
          name=f"conv_{i}",
      )(h)
      h = nn.leaky_relu(h, 0.01)
    out_src = nn.Conv(
        1, (3, 3), padding=_PAD1, use_bias=False, kernel_init=k, name="src"
    )(h)
    size = self.image_size // 2**self.repeat_num
    out_cls = nn.Conv(
        self.c_dim,
        (size, size),
        padding="VALID",
        use_bias=False,
        kernel_init=k,
        name="cls",
    )(h)
    return out_src, out_cls.reshape(x.shape[0], self.c_dim)


def build(
    model_cfg: Any, image_size: int, c_dim: int
) -> tuple[Generator, Discriminator]:
  """G and D from a `model.G` / `model.D` config (plus `model.init`)."""
  init = model_cfg.get("init", "flax_default")
  gen = Generator(
      conv_dim=model_cfg.G.conv_dim,
      repeat_num=model_cfg.G.repeat_num,
      init_scheme=init,
  )
  disc = Discriminator(
      image_size=image_size,
      conv_dim=model_cfg.D.conv_dim,
      c_dim=c_dim,
      repeat_num=model_cfg.D.repeat_num,
      init_scheme=init,
  )
  return gen, disc


def init_params(
    gen: Generator,
    disc: Discriminator,
    rng: jax.Array,
    image_size: int,
    c_dim: int,
) -> dict[str, Any]:
  """{"gen": ..., "disc": ...} params for one-example dummy inputs."""
  g_rng, d_rng = jax.random.split(rng)
  x = jnp.zeros((1, image_size, image_size, 3), jnp.float32)
  c = jnp.zeros((1, c_dim), jnp.float32)
  return {
      "gen": gen.init(g_rng, x, c)["params"],
      "disc": disc.init(d_rng, x)["params"],
  }
