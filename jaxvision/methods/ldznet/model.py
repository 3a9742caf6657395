"""ZNet, LD-ZNet (cross-attention or concatenation) and RGBNet (spec 3.4-3.6).

All three are the SD UNet with one output channel, conditioned on the frozen
CLIP text tokens through its own cross-attention, followed by a mask head:

  ZNet     input z * scale_factor (SD: 0.18215) of the clean image,
           timestep `znet_timestep` (0).
  LD-ZNet  ZNet + the frozen LDM's features F_k (k in `ldm_blocks`), each
           through an `AttentionPool` (HW + 1 tokens with positional
           embeddings) into a new CrossAttn_ldm in ZNet's block k; or, with
           `fusion='concat'`, concatenated before that block's transformer.
  RGBNet   ZNet fed the RGB image through a learnable stride-8 `RGBStem`.

Parameters: {"unet", "head", ["rgb_stem"], ["pool_<k>" ...]}; `unet` has the
LDM UNet's names, so `init_from_ldm` copies every weight whose shape matches
and channel 0 of SD's 4-channel output conv (pitfall 10).
"""

import dataclasses
from typing import Any, Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.models.sd import layers
from jaxvision.models.sd import unet as unet_lib

INPUTS = ("z", "rgb")
FUSIONS = ("cross_attention", "concat")
HEADS = ("ref_upsampler", "bilinear")


@dataclasses.dataclass(frozen=True)
class NetConfig:
  """A segmentation net: UNet architecture + LD-ZNet / RGBNet knobs.

  `pool_grids` maps each injected block to the (h, w) feature grid its
  attention pool's positional embedding is built for (12x12 / 6x6 for SD at
  384 px); other grids are resized bicubically at run time.
  """

  unet: unet_lib.UNetConfig
  input: str = "z"
  ldm_blocks: tuple[int, ...] = ()
  fusion: str = "cross_attention"
  attention_pool: bool = True
  pool_grids: tuple[tuple[int, tuple[int, int]], ...] = ()
  head: str = "ref_upsampler"
  upsample_factor: int = 8
  znet_timestep: int = 0
  dtype: Any = jnp.float32

  def __post_init__(self):
    for name, value, allowed in (
        ("model.input", self.input, INPUTS),
        ("ldm.fusion", self.fusion, FUSIONS),
        ("model.head", self.head, HEADS),
    ):
      if value not in allowed:
        raise ValueError(f"{name}={value!r}: use one of {allowed}.")
    if self.unet.out_channels != 1:
      raise ValueError("The segmentation UNet has out_channels=1 (spec 3.4).")
    n = self.unet.num_attention_blocks
    bad = [k for k in self.ldm_blocks if not 1 <= k <= n]
    if bad:
      raise ValueError(
          f"ldm.blocks={self.ldm_blocks}: blocks are numbered "
          f"1..{n}; bad: {bad}."
      )
    if self.upsample_factor & (self.upsample_factor - 1):
      raise ValueError(
          "model.upsample_factor must be a power of two (the "
          f"autoencoder's f), got {self.upsample_factor}."
      )


class AttentionPool(nn.Module):
  """CLIP's AttentionPool2d, keeping all HW + 1 tokens (spec 3.5, pitfall 5).

  Tokens [mean_HW(F); flatten(F)] + positional embedding (N(0, 1) / sqrt(C))
  -> multi-head self-attention (qkv Linear C -> 3C and c_proj, with biases).
  """

  heads: int
  grid: tuple[int, int]
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, features: jax.Array) -> jax.Array:
    b, h, w, c = features.shape
    tokens = features.reshape(b, h * w, c)
    tokens = jnp.concatenate([tokens.mean(1, keepdims=True), tokens], 1)
    pos = self.param(
        "positional_embedding",
        nn.initializers.normal(c**-0.5),
        (self.grid[0] * self.grid[1] + 1, c),
        jnp.float32,
    )
    if (h, w) != tuple(self.grid):
      grid = pos[1:].reshape(*self.grid, c)
      grid = jax.image.resize(grid, (h, w, c), "cubic").reshape(h * w, c)
      pos = jnp.concatenate([pos[:1], grid], 0)
    x = (tokens + pos[None]).astype(self.dtype)
    q, k, v = jnp.split(
        nn.Dense(3 * c, dtype=self.dtype, name="qkv")(x), 3, axis=-1
    )
    split = lambda t: t.reshape(b, h * w + 1, self.heads, c // self.heads)
    out = jax.nn.dot_product_attention(split(q), split(k), split(v))
    return nn.Dense(c, dtype=self.dtype, name="c_proj")(
        out.reshape(b, h * w + 1, c)
    )


class RGBStem(nn.Module):
  """RGBNet's extra convs: image -> the UNet's 4-channel input (spec 3.6).

  log2(factor) stride-2 conv3x3 (64, 128, 128, ... channels) with SiLU, then
  conv3x3 -> `channels`, feeding the pretrained conv_in.
  """

  channels: int
  factor: int = 8
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for i in range(int(np.log2(self.factor))):
      x = nn.silu(
          layers.conv(
              64 if i == 0 else 128, 3, f"conv_{i}", self.dtype, stride=2
          )(x.astype(self.dtype))
      )
    return layers.conv(self.channels, 3, "conv_out", self.dtype)(x)


class RefUpsampler(nn.Module):
  """The reference code's 1-channel x`factor` head (55 params for x8).

  SiLU(out) -> [conv3x3, SiLU, ConvTranspose 2x2 stride 2, SiLU] x log2(f)
  -> conv3x3: logits at image resolution.
  """

  factor: int = 8

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = nn.silu(x.astype(jnp.float32))
    for i in range(int(np.log2(self.factor))):
      x = nn.silu(layers.conv(1, 3, f"conv_{i}", jnp.float32)(x))
      x = nn.silu(
          nn.ConvTranspose(1, (2, 2), strides=(2, 2), name=f"up_{i}")(x)
      )
    return layers.conv(1, 3, "conv_out", jnp.float32)(x)


class SegmentationNet(nn.Module):
  """ZNet / LD-ZNet / RGBNet: (input, text context, LDM features) -> logits."""

  config: NetConfig

  @nn.compact
  def __call__(
      self,
      x: jax.Array,
      context: jax.Array,
      ldm_features: Mapping[int, jax.Array] | None = None,
  ) -> jax.Array:
    """Mask logits [B, H, W] at image resolution.

    Args:
      x: [B, h, w, 4] scaled latents (input 'z') or [B, H, W, 3] images in
        [-1, 1] (input 'rgb').
      context: [B, L, context_dim] frozen CLIP text tokens.
      ldm_features: {block: [B, h_k, w_k, C_k]} for every `ldm_blocks` entry
        (LD-ZNet), or None (ZNet / RGBNet).
    """
    cfg = self.config
    if cfg.input == "rgb":
      x = RGBStem(
          cfg.unet.in_channels, cfg.upsample_factor, cfg.dtype, name="rgb_stem"
      )(x)
    inject = _inject(cfg, ldm_features)
    t = jnp.full((x.shape[0],), cfg.znet_timestep, jnp.int32)
    out = unet_lib.UNet(cfg.unet, cfg.dtype, cfg.fusion, name="unet")(
        x, t, context, inject=inject
    )
    if cfg.head == "ref_upsampler":
      logits = RefUpsampler(cfg.upsample_factor, name="head")(out)
    else:
      b, h, w, _ = out.shape
      f = cfg.upsample_factor
      logits = jax.image.resize(
          out.astype(jnp.float32), (b, h * f, w * f, 1), "bilinear"
      )
    return logits[..., 0]


def _inject(cfg: NetConfig, ldm_features):
  """The UNet's `inject` argument: pooled tokens, raw tokens or raw maps."""
  if not cfg.ldm_blocks:
    return None
  if ldm_features is None or set(ldm_features) != set(cfg.ldm_blocks):
    raise ValueError(
        f"LD-ZNet needs LDM features of blocks {cfg.ldm_blocks}; "
        f"got {sorted(ldm_features or {})}."
    )
  if cfg.fusion == "concat":
    return dict(ldm_features)
  grids = dict(cfg.pool_grids)
  inject = {}
  for k in cfg.ldm_blocks:
    f = ldm_features[k]
    if cfg.attention_pool:
      inject[k] = AttentionPool(
          cfg.unet.num_heads, grids[k], cfg.dtype, name=f"pool_{k}"
      )(f)
    else:
      inject[k] = f.reshape(f.shape[0], -1, f.shape[-1])
  return inject


def init_from_ldm(
    params: Mapping[str, Any], ldm_unet: Mapping[str, Any]
) -> dict[str, Any]:
  """`params` with its `unet` taken from the LDM UNet where shapes match.

  The 1-channel output conv gets output channel 0 of SD's (pitfall 10); new
  layers (attn_ldm, norm_sd, ldm_concat, pools, stem, head) keep their init.
  """
  flat_ldm = dict(jax.tree_util.tree_flatten_with_path(ldm_unet)[0])

  def take(path, leaf):
    src = flat_ldm.get(path)
    if src is None:
      return leaf
    if src.shape == leaf.shape:
      return src.astype(leaf.dtype)
    if src.shape[:-1] == leaf.shape[:-1]:  # conv_out kernel / bias
      return src[..., : leaf.shape[-1]].astype(leaf.dtype)
    raise ValueError(
        f"LDM UNet param {jax.tree_util.keystr(path)} has shape "
        f"{src.shape}, ZNet's is {leaf.shape}: the architectures "
        "differ (check model.unet vs ldm.unet)."
    )

  unet = jax.tree_util.tree_map_with_path(take, params["unet"])
  return {**params, "unet": unet}
