"""The SD v1.x denoising UNet (epsilon prediction), with feature capture.

`UNet(config)(z_t, t, context)` returns epsilon; with `capture=(6, 7, ...)` it
instead returns `{k: F_k}`, the output of the k-th spatial transformer
(residual included) in forward order -- 1-6 encoder, 7 middle, 8-16 decoder
for SD v1 (spec 3.3) -- and skips everything after the last requested block
(spec pitfall 16), so extracting features never costs more than one forward.

`inject={k: X_k}` feeds LD-ZNet's LDM features into the k-th spatial
transformer (`ldm_fusion`: cross-attention to tokens X_k, or concatenation of
a feature map X_k; see `attention.SpatialTransformer`); blocks without an
entry are plain SD blocks, so a ZNet and an LD-ZNet share parameter names.
"""

import dataclasses
import math
from typing import Mapping, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.models.sd import attention
from jaxvision.models import remat as remat_lib
from jaxvision.models.sd import layers


@dataclasses.dataclass(frozen=True)
class UNetConfig:
  """UNet hyper-parameters (CompVis `unet_config.params` names)."""

  in_channels: int = 4
  out_channels: int = 4
  model_channels: int = 320
  channel_mult: tuple[int, ...] = (1, 2, 4, 4)
  num_res_blocks: int = 2
  attention_levels: tuple[int, ...] = (0, 1, 2)
  num_heads: int = 8
  transformer_depth: int = 1
  context_dim: int = 768
  groups: int = 32
  # Program knobs (same params, same numerics; tested): the remat policy of
  # every ResBlock and transformer block (`models/remat.py`) and the
  # attention implementation (`models/fused_attention.py`).
  remat: bool | str = "none"
  attention: str = "auto"

  def architecture(self) -> "UNetConfig":
    """This config with the program knobs at their defaults: what converted
    weights record and what two configs must agree on to share weights."""
    return dataclasses.replace(self, remat="none", attention="auto")

  @property
  def widths(self) -> tuple[int, ...]:
    return tuple(self.model_channels * m for m in self.channel_mult)

  @property
  def num_attention_blocks(self) -> int:
    """Spatial transformers in forward order (16 for SD v1)."""
    levels = len(self.attention_levels)
    return levels * self.num_res_blocks + 1 + levels * (self.num_res_blocks + 1)


SD_V1 = UNetConfig()


def timestep_embedding(t: jax.Array, dim: int) -> jax.Array:
  """Sinusoid laid out [cos | sin] (pitfall 8) with freqs 1e4^(-i/half)."""
  half = dim // 2
  freqs = jnp.exp(
      -math.log(10000.0) * jnp.arange(half, dtype=jnp.float32) / half
  )
  args = jnp.asarray(t, jnp.float32).reshape(-1)[:, None] * freqs[None]
  return jnp.concatenate([jnp.cos(args), jnp.sin(args)], axis=-1)


class TimestepEmbedding(nn.Module):
  """Linear -> SiLU -> Linear on the sinusoid (diffusers `time_embedding`)."""

  features: int
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, emb: jax.Array) -> jax.Array:
    emb = nn.Dense(self.features, dtype=self.dtype, name="linear_1")(emb)
    return nn.Dense(self.features, dtype=self.dtype, name="linear_2")(
        nn.silu(emb)
    )


class DownBlock(nn.Module):
  """`num_res` (ResBlock [+ spatial transformer]) pairs, then a Downsample.

  `limit` runs only the first `limit` pairs (and no Downsample): the UNet
  stops there when no later feature is requested.
  """

  config: UNetConfig
  features: int
  has_attention: bool
  add_downsample: bool
  dtype: layers.Dtype = jnp.float32
  ldm_fusion: str = "cross_attention"

  @nn.compact
  def __call__(self, h, temb, context, limit=None, inject=()):
    cfg, skips, feats = self.config, [], []
    n = cfg.num_res_blocks if limit is None else limit
    for j in range(n):
      h = _resnet(cfg, self.features, self.dtype, f"resnets_{j}")(h, temb)
      if self.has_attention:
        h = _transformer(
            cfg, self.features, self.dtype, f"attentions_{j}", self.ldm_fusion
        )(h, context, _get(inject, j))
        feats.append(h)
      skips.append(h)
    if self.add_downsample and limit is None:
      h = layers.Downsample(
          self.features, dtype=self.dtype, name="downsamplers_0"
      )(h)
      skips.append(h)
    return h, skips, feats


class UpBlock(nn.Module):
  """`num_res + 1` (concat skip, ResBlock [+ transformer]) steps, Upsample."""

  config: UNetConfig
  features: int
  has_attention: bool
  add_upsample: bool
  dtype: layers.Dtype = jnp.float32
  ldm_fusion: str = "cross_attention"

  @nn.compact
  def __call__(self, h, skips, temb, context, limit=None, inject=()):
    cfg, feats = self.config, []
    n = cfg.num_res_blocks + 1 if limit is None else limit
    for j in range(n):
      h = jnp.concatenate([h, skips.pop()], axis=-1)
      h = _resnet(cfg, self.features, self.dtype, f"resnets_{j}")(h, temb)
      if self.has_attention:
        h = _transformer(
            cfg, self.features, self.dtype, f"attentions_{j}", self.ldm_fusion
        )(h, context, _get(inject, j))
        feats.append(h)
    if self.add_upsample and limit is None:
      h = layers.Upsample(self.features, self.dtype, name="upsamplers_0")(h)
    return h, feats


class MidBlock(nn.Module):
  """ResBlock -> spatial transformer (feature 7 in SD v1) -> ResBlock."""

  config: UNetConfig
  features: int
  dtype: layers.Dtype = jnp.float32
  ldm_fusion: str = "cross_attention"

  @nn.compact
  def __call__(self, h, temb, context, stop_after_attention=False, inject=()):
    cfg = self.config
    res = lambda name: _resnet(cfg, self.features, self.dtype, name)
    h = res("resnets_0")(h, temb)
    h = _transformer(
        cfg, self.features, self.dtype, "attentions_0", self.ldm_fusion
    )(h, context, _get(inject, 0))
    feat = h
    if not stop_after_attention:
      h = res("resnets_1")(h, temb)
    return h, [feat]


def _resnet(
    cfg: UNetConfig, features: int, dtype: layers.Dtype, name: str
) -> nn.Module:
  return remat_lib.wrap(layers.ResnetBlock, cfg.remat)(
      features, cfg.groups, 1e-5, dtype, name=name
  )


def _transformer(
    cfg: UNetConfig,
    features: int,
    dtype: layers.Dtype,
    name: str,
    ldm_fusion: str,
) -> attention.SpatialTransformer:
  return attention.SpatialTransformer(
      features,
      cfg.num_heads,
      cfg.transformer_depth,
      cfg.groups,
      dtype,
      ldm_fusion,
      remat=cfg.remat,
      attention=cfg.attention,
      name=name,
  )


def _get(inject: Sequence[jax.Array | None], j: int) -> jax.Array | None:
  return inject[j] if j < len(inject) else None


class UNet(nn.Module):
  """The SD v1.x UNet; see the module docstring for `capture`."""

  config: UNetConfig = SD_V1
  dtype: layers.Dtype = jnp.float32
  ldm_fusion: str = "cross_attention"

  @nn.compact
  def __call__(
      self,
      x: jax.Array,
      t: jax.Array,
      context: jax.Array,
      capture: Sequence[int] | None = None,
      inject: Mapping[int, jax.Array] | None = None,
  ) -> jax.Array | dict[int, jax.Array]:
    """Epsilon for (x, t, context), or the features of the `capture` blocks.

    Args:
      x: [B, H, W, in_channels] scaled latents (H, W divisible by 8 for SD).
      t: [B] or scalar timesteps in 0..999.
      context: [B, L, context_dim] text tokens.
      capture: 1-based spatial-transformer numbers to return instead of eps.
      inject: 1-based spatial-transformer number -> LDM features for it.
    """
    cfg = self.config
    last = _check_capture(cfg, capture)
    inject = dict(inject or {})
    if inject:
      _check_capture(cfg, tuple(inject))
    widths = cfg.widths
    temb = timestep_embedding(t, cfg.model_channels)
    temb = jnp.broadcast_to(temb, (x.shape[0], temb.shape[-1]))
    temb = TimestepEmbedding(
        4 * cfg.model_channels, self.dtype, name="time_embedding"
    )(temb.astype(self.dtype))
    h = layers.conv(widths[0], 3, "conv_in", self.dtype)(x.astype(self.dtype))
    skips, feats = [h], []

    def limit(has_attention, count):
      """Pairs to run in a block so that feature `last` is its last one."""
      if last is None or not has_attention or len(feats) + count < last:
        return None
      return last - len(feats)

    def block_inject(has_attention, count):
      """The injected features of a block's transformers, in order."""
      if not has_attention:
        return ()
      return tuple(inject.get(len(feats) + j + 1) for j in range(count))

    for i, width in enumerate(widths):
      has_attention = i in cfg.attention_levels
      n = limit(has_attention, cfg.num_res_blocks)
      h, block_skips, block_feats = DownBlock(
          cfg,
          width,
          has_attention,
          i < len(widths) - 1,
          self.dtype,
          self.ldm_fusion,
          name=f"down_blocks_{i}",
      )(h, temb, context, n, block_inject(has_attention, cfg.num_res_blocks))
      skips += block_skips
      feats += block_feats
      if n is not None:
        return _select(feats, capture)
    h, block_feats = MidBlock(
        cfg, widths[-1], self.dtype, self.ldm_fusion, name="mid_block"
    )(h, temb, context, last == len(feats) + 1, block_inject(True, 1))
    feats += block_feats
    if last == len(feats):
      return _select(feats, capture)
    for i, width in enumerate(reversed(widths)):
      has_attention = len(widths) - 1 - i in cfg.attention_levels
      n = limit(has_attention, cfg.num_res_blocks + 1)
      h, block_feats = UpBlock(
          cfg,
          width,
          has_attention,
          i < len(widths) - 1,
          self.dtype,
          self.ldm_fusion,
          name=f"up_blocks_{i}",
      )(
          h,
          skips,
          temb,
          context,
          n,
          block_inject(has_attention, cfg.num_res_blocks + 1),
      )
      feats += block_feats
      if n is not None:
        return _select(feats, capture)
    h = nn.silu(layers.group_norm(cfg.groups, 1e-5, "conv_norm_out")(h))
    return layers.conv(cfg.out_channels, 3, "conv_out", jnp.float32)(h)


def _check_capture(
    cfg: UNetConfig, capture: Sequence[int] | None
) -> int | None:
  """The last requested block, after checking the numbers exist."""
  if capture is None:
    return None
  n = cfg.num_attention_blocks
  bad = [k for k in capture if not 1 <= k <= n]
  if not capture or bad:
    raise ValueError(
        f"capture={tuple(capture)}: spatial-attention blocks are "
        f"numbered 1..{n} for this UNet (SD v1: 1-6 encoder, 7 "
        "middle, 8-16 decoder); bad: {bad or 'empty'}."
    )
  return max(capture)


def _select(
    feats: list[jax.Array], capture: Sequence[int]
) -> dict[int, jax.Array]:
  return {k: feats[k - 1] for k in capture}
