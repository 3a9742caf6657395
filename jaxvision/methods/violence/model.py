"""Spatiotemporal and Spatial Encoders for violence detection (app. A.3).

Spatiotemporal Encoder (Fig. A.1): frames (B, T, H, W, 3) in [0, 1] ->
T - 1 adjacent-frame differences -> VGG13 trunk per step (shared weights,
last max-pool and FC head removed: 14x14x512 at 224 px) -> BiConvLSTM ->
element-wise max over time -> flatten -> FC 1000-256-10 (tanh) -> 2 logits.

Spatial Encoder (Fig. A.3): the raw T frames through the trunk, max over
time, same classifier (no differences, no recurrence).

Both are one `ViolenceNet`; `model.encoder` in the config picks the preset
and the ablation knobs (`model.temporal`, `data.input_mode`,
`model.aggregation`, ...) override single parts (spec 9).
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.models import convlstm
from jaxvision.models import vgg

TEMPORAL = ("biconvlstm", "convlstm", "none")
AGGREGATIONS = ("max", "last", "mean")
INPUT_MODES = ("frame_diff", "raw")
DIFF_SIGNS = ("prev_minus_next", "next_minus_prev")
PRE_POOLS = ("none", "max2", "avg2")
# model.encoder presets: (temporal, input_mode).
ENCODERS = {
    "spatiotemporal": ("biconvlstm", "frame_diff"),
    "spatial": ("none", "raw"),
}


def frame_differences(frames: jax.Array, sign: str) -> jax.Array:
  """(B, T, ...) -> (B, T - 1, ...): F[t] - F[t+1] ([146]) or the reverse."""
  if sign not in DIFF_SIGNS:
    raise ValueError(
        f"Unknown diff_sign {sign!r}; choose one of " f"{DIFF_SIGNS}."
    )
  diff = frames[:, :-1] - frames[:, 1:]
  return diff if sign == "prev_minus_next" else -diff


class Classifier(nn.Module):
  """Flatten -> tanh FC layers -> linear logits (tanh optional, spec 3.1).

  With `use_batchnorm`, BatchNorm follows the first FC layer, before its tanh
  (the placement of [146]).
  """

  hidden: Sequence[int] = (1000, 256, 10)
  num_classes: int = 2
  use_batchnorm: bool = False
  tanh_on_logits: bool = False
  pre_pool: str = "none"

  @nn.compact
  def __call__(self, v: jax.Array, train: bool = False) -> jax.Array:
    if self.pre_pool == "max2":
      v = nn.max_pool(v, (2, 2), strides=(2, 2))
    elif self.pre_pool == "avg2":
      v = nn.avg_pool(v, (2, 2), strides=(2, 2))
    x = v.reshape(v.shape[0], -1)
    for i, width in enumerate(self.hidden):
      x = nn.Dense(width, name=f"fc_{i}")(x)
      if i == 0 and self.use_batchnorm:
        x = nn.BatchNorm(
            use_running_average=not train, momentum=0.9, epsilon=1e-5, name="bn"
        )(x)
      x = jnp.tanh(x)
    logits = nn.Dense(self.num_classes, name="logits")(x)
    return jnp.tanh(logits) if self.tanh_on_logits else logits


class ViolenceNet(nn.Module):
  """frames (B, T, H, W, 3) in [0, 1] -> logits (B, 2). See module doc."""

  backbone: str = "vgg13"
  temporal: str = "biconvlstm"
  input_mode: str = "frame_diff"
  diff_sign: str = "prev_minus_next"
  aggregation: str = "max"
  num_layers: int = 1
  hidden: int = 256
  features: int = 512
  kernel: int = 3
  fuse_kernel: int = 3
  fuse_act: str | None = None
  share_direction_weights: bool = False
  unroll: int = 1
  classifier_hidden: Sequence[int] = (1000, 256, 10)
  use_batchnorm: bool = False
  tanh_on_logits: bool = False
  pre_pool: str = "none"
  remat: bool = False

  def encode(self, frames: jax.Array, train: bool) -> jax.Array:
    """Per-step encodings (B, T', h, w, C) before aggregation."""
    if frames.ndim != 5 or frames.shape[-1] != 3:
      raise ValueError(
          f"ViolenceNet expects clips (B, T, H, W, 3), got " f"{frames.shape}."
      )
    x = (
        frame_differences(frames, self.diff_sign)
        if self.input_mode == "frame_diff"
        else frames
    )
    b, t = x.shape[:2]
    # NOTE: remat keeps only the trunk's inputs for the backward pass; at
    # 224 px 8 clips x 20 frames of VGG13 activations would not fit otherwise
    # (spec pitfall 13).
    trunk_cls = (
        nn.remat(vgg.VGG, static_argnums=(2,)) if self.remat else vgg.VGG
    )
    trunk = trunk_cls(
        channels=vgg.plan(self.backbone),
        batch_norm=vgg.uses_batchnorm(self.backbone),
        drop_last_pool=True,
        name="backbone",
    )
    maps = trunk(x.reshape(b * t, *x.shape[2:]), train)
    maps = maps.reshape(b, t, *maps.shape[1:])
    for layer in range(self.num_layers if self.temporal != "none" else 0):
      if self.temporal == "biconvlstm":
        maps = convlstm.BiConvLSTM(
            hidden=self.hidden,
            features=self.features,
            kernel=self.kernel,
            fuse_kernel=self.fuse_kernel,
            fuse_act=self.fuse_act,
            share_direction_weights=self.share_direction_weights,
            unroll=self.unroll,
            name=f"temporal_{layer}",
        )(maps)
      else:
        maps = convlstm.ConvLSTM(
            hidden=self.hidden,
            kernel=self.kernel,
            unroll=self.unroll,
            name=f"temporal_{layer}",
        )(maps)
    return maps

  @nn.compact
  def __call__(self, frames: jax.Array, train: bool = False) -> jax.Array:
    maps = self.encode(frames, train)
    # NOTE: the max runs over time only, keeping the spatial map (pitfall 5).
    video = {
        "max": lambda m: m.max(1),
        "last": lambda m: m[:, -1],
        "mean": lambda m: m.mean(1),
    }[self.aggregation](maps)
    return Classifier(
        hidden=tuple(self.classifier_hidden),
        use_batchnorm=self.use_batchnorm,
        tanh_on_logits=self.tanh_on_logits,
        pre_pool=self.pre_pool,
        name="classifier",
    )(video, train)


def _choice(value, valid, key: str):
  if value not in valid:
    raise ValueError(
        f"Unknown config.{key}={value!r}; choose one of " f"{list(valid)}."
    )
  return value


def build(config: ml_collections.ConfigDict) -> ViolenceNet:
  """The model of `config.model` (+ `config.data` input mode), validated."""
  m, d = config.model, config.data
  encoder = _choice(m.encoder, ENCODERS, "model.encoder")
  temporal = m.get("temporal") or ENCODERS[encoder][0]
  input_mode = d.get("input_mode") or ENCODERS[encoder][1]
  vgg.plan(m.backbone)
  t = m.convlstm
  return ViolenceNet(
      backbone=m.backbone,
      temporal=_choice(temporal, TEMPORAL, "model.temporal"),
      input_mode=_choice(input_mode, INPUT_MODES, "data.input_mode"),
      diff_sign=_choice(d.diff_sign, DIFF_SIGNS, "data.diff_sign"),
      aggregation=_choice(m.aggregation, AGGREGATIONS, "model.aggregation"),
      num_layers=t.num_layers,
      hidden=t.hidden,
      features=t.features,
      kernel=t.kernel,
      fuse_kernel=t.fuse_kernel,
      fuse_act=t.fuse_act,
      share_direction_weights=t.share_direction_weights,
      unroll=t.unroll,
      classifier_hidden=tuple(m.classifier.hidden),
      use_batchnorm=m.use_batchnorm,
      tanh_on_logits=m.classifier.tanh_on_logits,
      pre_pool=_choice(
          m.classifier.pre_pool, PRE_POOLS, "model.classifier.pre_pool"
      ),
      remat=m.remat,
  )
