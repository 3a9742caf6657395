"""Monodepth2 decoders and the MonoIndoor++ transformer scale network.

DepthDecoder / PoseDecoder follow Monodepth2 (spec 3.2, 3.5): 3x3 convs with
reflection padding + ELU, nearest-neighbour up-sampling, sigmoid disparity
heads at 4 scales; pose = squeeze 1x1 -> two 3x3 -> 1x1 to 6, spatial mean,
x0.01. ScaleNet is the "ScaleRegressor" of spec 3.4 (Table 5.9 III): self-
attention with 2-D relative position logits (Bello et al.), residual blocks,
three FC layers with dropout and the probabilistic (expected-bin) head of
Eq 5.11.
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.models import resnet


def _conv3x3_reflect(x: jax.Array, features: int, name: str) -> jax.Array:
  # NOTE: reflection padding, not zeros (spec pitfall 8).
  x = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
  return nn.Conv(features, (3, 3), padding="VALID", name=name)(x)


def _upsample_nearest(x: jax.Array) -> jax.Array:
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class DepthDecoder(nn.Module):
  """Sigmoid "disparity" maps sigma^s at scales s in `scales` (spec 3.2).

  Returns a dict {s: [B, H/2^s, W/2^s, 1]}.
  """

  channels: Sequence[int] = (16, 32, 64, 128, 256)
  scales: Sequence[int] = (0, 1, 2, 3)

  @nn.compact
  def __call__(self, features: Sequence[jax.Array]) -> dict[int, jax.Array]:
    x = features[-1]
    outputs = {}
    for i in range(4, -1, -1):
      x = nn.elu(_conv3x3_reflect(x, self.channels[i], f"upconv_{i}_0"))
      x = _upsample_nearest(x)
      if i > 0:
        skip = features[i - 1]
        if skip.shape[1:3] != x.shape[1:3]:
          raise ValueError(
              f"Decoder skip at level {i - 1} is {skip.shape[1:3]} but the "
              f"up-sampled map is {x.shape[1:3]}: image height and width must "
              "be divisible by 32 (spec pitfall 18)."
          )
        x = jnp.concatenate([x, skip], axis=-1)
      x = nn.elu(_conv3x3_reflect(x, self.channels[i], f"upconv_{i}_1"))
      if i in self.scales:
        outputs[i] = nn.sigmoid(_conv3x3_reflect(x, 1, f"dispconv_{i}"))
    return outputs


class PoseDecoder(nn.Module):
  """Axis-angle and translation [B, 3] each from pose-encoder features.

  `output_scale` multiplies the spatially averaged 6-vector (Monodepth2:
  0.01).
  """

  width: int = 256
  output_scale: float = 0.01

  @nn.compact
  def __call__(self, feature: jax.Array) -> tuple[jax.Array, jax.Array]:
    x = nn.relu(nn.Conv(self.width, (1, 1), name="squeeze")(feature))
    x = nn.relu(
        nn.Conv(self.width, (3, 3), padding=((1, 1), (1, 1)), name="pose_0")(x)
    )
    x = nn.relu(
        nn.Conv(self.width, (3, 3), padding=((1, 1), (1, 1)), name="pose_1")(x)
    )
    x = nn.Conv(6, (1, 1), name="pose_2")(x)
    x = self.output_scale * jnp.mean(x, axis=(1, 2))
    return x[:, :3], x[:, 3:]


class RelPosSelfAttention(nn.Module):
  """Single-head self-attention with 2-D relative logits, residual (5.9-5.10).

  logit_ij = q_i.k_j + q_i.rW[x_j - x_i] + q_i.rH[y_j - y_i]; the output conv
  W_S starts at zero so the block starts as the identity.
  """

  qk_dim: int = 64
  v_dim: int = 256
  max_hw: tuple[int, int] = (16, 32)
  rel_pos: bool = True
  scale_logits: bool = True

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    batch, height, width, channels = x.shape
    max_h, max_w = self.max_hw
    if height > max_h or width > max_w:
      raise ValueError(
          f"Scale-net feature map {height}x{width} exceeds "
          f"scale.max_feat_hw={self.max_hw}; raise it."
      )
    q = nn.Conv(self.qk_dim, (1, 1), name="query")(x)
    k = nn.Conv(self.qk_dim, (1, 1), name="key")(x)
    v = nn.Conv(self.v_dim, (1, 1), name="value")(x)
    logits = jnp.einsum("byxd,bijd->byxij", q, k)
    if self.rel_pos:
      init = nn.initializers.normal(self.qk_dim**-0.5)
      rel_w = self.param("rel_w", init, (2 * max_w - 1, self.qk_dim))
      rel_h = self.param("rel_h", init, (2 * max_h - 1, self.qk_dim))
      dx = jnp.arange(width)[None, :] - jnp.arange(width)[:, None] + max_w - 1
      dy = jnp.arange(height)[None, :] - jnp.arange(height)[:, None] + max_h - 1
      logits_w = jnp.einsum("byxd,xjd->byxj", q, rel_w[dx])
      logits_h = jnp.einsum("byxd,yid->byxi", q, rel_h[dy])
      logits = logits + logits_w[:, :, :, None, :] + logits_h[:, :, :, :, None]
    if self.scale_logits:
      logits = logits / jnp.sqrt(self.qk_dim)
    logits = logits.reshape(batch, height, width, height * width)
    attn = jax.nn.softmax(logits, axis=-1)
    g = jnp.einsum(
        "byxn,bnd->byxd", attn, v.reshape(batch, height * width, self.v_dim)
    )
    out = nn.Conv(
        channels, (1, 1), kernel_init=nn.initializers.zeros, name="out"
    )(g)
    return x + out


class ScaleNet(nn.Module):
  """Per-image global scale S [B] from encoder features (spec 3.4).

  `body` is "resblocks" (designs II/III) or "convbnrelu" (design I).
  """

  d_max: int = 10
  attention: bool = True
  rel_pos: bool = True
  scale_logits: bool = True
  qk_dim: int = 64
  v_dim: int = 256
  max_hw: tuple[int, int] = (16, 32)
  body: str = "resblocks"
  num_blocks: int = 2
  hidden: Sequence[int] = (256, 128)
  dropout: float = 0.5
  probabilistic: bool = True
  min_scale: float = 0.1

  @nn.compact
  def __call__(self, feature: jax.Array, train: bool = False) -> jax.Array:
    x = feature
    if self.attention:
      x = RelPosSelfAttention(
          self.qk_dim,
          self.v_dim,
          tuple(self.max_hw),
          self.rel_pos,
          self.scale_logits,
          name="attention",
      )(x)
    channels = x.shape[-1]
    for i in range(self.num_blocks):
      if self.body == "resblocks":
        x = resnet.BasicBlock(channels, name=f"block_{i}")(x, train)
      elif self.body == "convbnrelu":
        x = nn.Conv(
            channels,
            (3, 3),
            padding=((1, 1), (1, 1)),
            use_bias=False,
            name=f"conv_{i}",
        )(x)
        x = nn.relu(
            nn.BatchNorm(
                use_running_average=not train,
                momentum=0.9,
                epsilon=1e-5,
                name=f"bn_{i}",
            )(x)
        )
      else:
        raise ValueError(
            f"Unknown scale-net body {self.body!r}; valid: "
            "resblocks, convbnrelu."
        )
    x = jnp.mean(x, axis=(1, 2))
    for i, width in enumerate(self.hidden):
      x = nn.relu(nn.Dense(width, name=f"fc_{i}")(x))
      x = nn.Dropout(self.dropout, deterministic=not train)(x)
    if self.probabilistic:
      logits = nn.Dense(
          self.d_max + 1, bias_init=nn.initializers.zeros, name="head"
      )(x)
      bins = jnp.arange(self.d_max + 1, dtype=logits.dtype)
      scale = jnp.sum(jax.nn.softmax(logits, axis=-1) * bins, axis=-1)
    else:
      scale = self.d_max * nn.sigmoid(nn.Dense(1, name="head")(x)[:, 0])
    # NOTE: S -> 0 collapses depth (spec pitfall 13); clamp from below.
    return jnp.maximum(scale, self.min_scale)
