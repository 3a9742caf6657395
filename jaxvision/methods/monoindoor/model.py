"""The MonoIndoor++ network: depth net + scale net + (residual) pose nets.

One linen module holds every sub-network so a train step is one `apply`
(with separate BatchNorm states per sub-network, spec pitfall 9):

  depth_encoder  ResNet on (x - 0.45) / 0.225
  depth_decoder  sigmoid disparities sigma^s
  scale_net      global scale S (depth factorization, spec 3.3-3.4)
  scale_encoder  a separate ResNet, only for scale.backbone != shared_encoder
  pose_encoder   ResNet on the stacked pair (+ CoordConv channels), shared by
                 the initial and every residual pose step (TEXT)
  pose_decoders_i independent regressor per step (i = 0 initial, 1..k residual)
"""

import dataclasses
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.methods.monoindoor import geometry
from jaxvision.methods.monoindoor import networks
from jaxvision.models import resnet

RGB_MEAN, RGB_STD = 0.45, 0.225
SCALE_BACKBONES = {
    "shared_encoder": "III ScaleRegressor: depth-encoder features",
    "resnet18_resblocks": "II ScaleNet: separate ResNet + residual blocks",
    "resnet18_convbnrelu": "I ScaleCNN: separate ResNet + Conv-BN-ReLU",
}
COORDCONV = ("none", "input", "features", "both")
FACTORIZATION_MODES = ("multiply", "max_depth")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
  """Hashable model settings read from `config.model` (see `from_config`)."""

  encoder: str = "resnet18"
  encoder_widths: tuple[int, ...] | None = None
  encoder_blocks: tuple[int, ...] | None = None
  decoder_channels: tuple[int, ...] = (16, 32, 64, 128, 256)
  scales: tuple[int, ...] = (0, 1, 2, 3)
  factorization: bool = True
  factorization_mode: str = "multiply"
  min_depth: float = 0.1
  max_depth: float = 10.0
  rel_min: float = 0.01
  rel_max: float = 1.0
  scale: tuple[tuple[str, Any], ...] = ()
  scale_backbone: str = "shared_encoder"
  scale_stop_grad: bool = False
  pose_width: int = 256
  pose_output_scale: float = 0.01
  residual_output_scale: float = 0.01
  coordconv: str = "input"
  residual_steps: int = 1
  detach_residual_input: bool = False
  depth_for_sources: bool = True

  def encoder_module(self) -> resnet.ResNet:
    return resnet.build(self.encoder, self.encoder_widths, self.encoder_blocks)


def from_config(config: ml_collections.ConfigDict) -> ModelConfig:
  """Validates `config.model` / `config.loss` and freezes them."""
  m = config.model
  scale = m.scale.to_dict()
  backbone = scale.pop("backbone", "shared_encoder")
  stop_grad = scale.pop("stop_grad_features", False)
  for key, valid, value in (
      ("model.scale.backbone", SCALE_BACKBONES, backbone),
      ("model.pose.coordconv", COORDCONV, m.pose.coordconv),
      (
          "model.depth.factorization_mode",
          FACTORIZATION_MODES,
          m.depth.factorization_mode,
      ),
  ):
    if value not in valid:
      raise ValueError(f"Unknown {key} {value!r}; valid: {list(valid)}.")
  residual = m.residual_pose
  pose_scale = m.pose.get("output_scale", 0.01)
  tuple_or_none = lambda v: tuple(v) if v else None
  return ModelConfig(
      encoder=m.encoder.arch,
      encoder_widths=tuple_or_none(m.encoder.get("widths")),
      encoder_blocks=tuple_or_none(m.encoder.get("blocks")),
      decoder_channels=tuple(m.depth.decoder_channels),
      scales=tuple(m.depth.scales),
      factorization=m.depth.factorization,
      factorization_mode=m.depth.factorization_mode,
      min_depth=m.depth.min_depth,
      max_depth=m.depth.max_depth,
      rel_min=m.depth.rel_min,
      rel_max=m.depth.rel_max,
      scale=tuple(
          sorted(
              (k, tuple(v) if isinstance(v, list) else v)
              for k, v in scale.items()
          )
      ),
      scale_backbone=backbone,
      scale_stop_grad=stop_grad,
      pose_width=m.pose.decoder_width,
      pose_output_scale=pose_scale,
      # Default: the residual decoders scale like the initial one (spec 3.5).
      residual_output_scale=residual.get("output_scale", pose_scale),
      coordconv=m.pose.coordconv,
      residual_steps=residual.num_steps if residual.enabled else 0,
      detach_residual_input=residual.detach_input,
      depth_for_sources=config.loss.depth_consistency_weight > 0,
  )


def disp_to_depth(sigma: jax.Array, min_depth, max_depth) -> jax.Array:
  """Eq 5.8 / Monodepth2: depth = 1 / (1/max + (1/min - 1/max) * sigma)."""
  min_disp, max_disp = 1.0 / max_depth, 1.0 / min_depth
  return 1.0 / (min_disp + (max_disp - min_disp) * sigma)


def normalize_rgb(images: jax.Array) -> jax.Array:
  return (images - RGB_MEAN) / RGB_STD


class MonoIndoor(nn.Module):
  """All MonoIndoor++ sub-networks; see the module docstring."""

  cfg: ModelConfig

  def setup(self):
    cfg = self.cfg
    self.depth_encoder = cfg.encoder_module()
    self.depth_decoder = networks.DepthDecoder(cfg.decoder_channels, cfg.scales)
    if cfg.factorization:
      self.scale_net = networks.ScaleNet(
          body=(
              "convbnrelu"
              if cfg.scale_backbone == "resnet18_convbnrelu"
              else "resblocks"
          ),
          **dict(cfg.scale),
      )
      if cfg.scale_backbone != "shared_encoder":
        self.scale_encoder = cfg.encoder_module()
    self.pose_encoder = cfg.encoder_module()
    self.pose_decoders = [
        networks.PoseDecoder(
            cfg.pose_width,
            cfg.pose_output_scale if i == 0 else cfg.residual_output_scale,
        )
        for i in range(1 + cfg.residual_steps)
    ]

  def depth(
      self, images: jax.Array, train: bool = False
  ) -> tuple[dict[int, jax.Array], jax.Array, dict[int, jax.Array]]:
    """Images [B, H, W, 3] in [0, 1] -> (sigma per scale, S [B], depth).

    Depths are [B, H, W, 1] at full resolution for every scale: sigma^s is
    bilinearly up-sampled first (Monodepth2, spec 4).
    """
    cfg = self.cfg
    batch, height, width, _ = images.shape
    features = self.depth_encoder(normalize_rgb(images), train)
    sigmas = self.depth_decoder(features)
    if cfg.factorization:
      if cfg.scale_backbone == "shared_encoder":
        scale_in = features[-1]
      else:
        scale_in = self.scale_encoder(normalize_rgb(images), train)[-1]
      if cfg.scale_stop_grad:
        scale_in = jax.lax.stop_gradient(scale_in)
      scale = self.scale_net(scale_in, train)
    else:
      scale = jnp.ones((batch,), images.dtype)
    depths = {}
    for s, sigma in sigmas.items():
      sigma = jax.image.resize(sigma, (batch, height, width, 1), "linear")
      depths[s] = self.sigma_to_depth(sigma, scale)
    return sigmas, scale, depths

  def sigma_to_depth(self, sigma: jax.Array, scale: jax.Array) -> jax.Array:
    """Depth from sigmoid output: baseline, S * D_rel or max-depth S."""
    cfg = self.cfg
    if not cfg.factorization:
      return disp_to_depth(sigma, cfg.min_depth, cfg.max_depth)
    s = scale[:, None, None, None]
    if cfg.factorization_mode == "multiply":
      return s * disp_to_depth(sigma, cfg.rel_min, cfg.rel_max)
    return disp_to_depth(sigma, cfg.min_depth, jnp.maximum(s, cfg.min_depth))

  def _pose_input(self, first: jax.Array, second: jax.Array) -> jax.Array:
    # NOTE: RGB normalisation on the RGB channels only (spec pitfall 10).
    x = jnp.concatenate([normalize_rgb(first), normalize_rgb(second)], -1)
    if self.cfg.coordconv in ("input", "both"):
      batch, height, width, _ = x.shape
      x = jnp.concatenate(
          [x, geometry.coord_channels(batch, height, width)], -1
      )
    return x

  def pose_params(
      self, first: jax.Array, second: jax.Array, step: int, train: bool = False
  ) -> tuple[jax.Array, jax.Array]:
    """Axis-angle and translation of pose step `step` for the stacked pair."""
    feature = self.pose_encoder(self._pose_input(first, second), train)[-1]
    if self.cfg.coordconv in ("features", "both"):
      batch, height, width, _ = feature.shape
      feature = jnp.concatenate(
          [feature, geometry.coord_channels(batch, height, width)], -1
      )
    return self.pose_decoders[step](feature)

  def poses(
      self,
      frames: jax.Array,
      depth: jax.Array,
      intrinsics: jax.Array,
      train: bool = False,
  ) -> jax.Array:
    """Target->source poses of both sources, per step: [B, 2, 1 + k, 4, 4].

    Args:
      frames: [B, 3, H, W, 3] network-input frames at offsets (-1, 0, +1).
      depth: [B, H, W, 1] target depth at scale 0 (for the virtual views).
      intrinsics: [B, 3, 3].

    The composed target->source pose is P0 @ P1 @ ... @ Pk (Eq 5.15).
    """
    batch = frames.shape[0]
    prev, target, nxt = frames[:, 0], frames[:, 1], frames[:, 2]
    # Monodepth2 ordering: frames in temporal order, invert for offset -1.
    axisangle, translation = self.pose_params(
        jnp.concatenate([prev, target]),
        jnp.concatenate([target, nxt]),
        0,
        train,
    )
    invert = jnp.arange(2 * batch) < batch
    steps = [
        geometry.transformation_from_parameters(axisangle, translation, invert)
    ]
    targets = jnp.concatenate([target, target])
    depth2 = jnp.concatenate([depth, depth])
    k2 = jnp.concatenate([intrinsics, intrinsics])
    virtual, _ = geometry.warp(
        jnp.concatenate([prev, nxt]), depth2, steps[0], k2
    )
    for i in range(1, 1 + self.cfg.residual_steps):
      if self.cfg.detach_residual_input:
        virtual = jax.lax.stop_gradient(virtual)
      axisangle, translation = self.pose_params(targets, virtual, i, train)
      # The residual net predicts virtual->target; warping uses its inverse.
      steps.append(
          geometry.transformation_from_parameters(axisangle, translation, True)
      )
      if i < self.cfg.residual_steps:
        virtual, _ = geometry.warp(virtual, depth2, steps[-1], k2)
    stacked = jnp.stack(steps, axis=1)
    return jnp.stack([stacked[:batch], stacked[batch:]], axis=1)

  def __call__(
      self, frames: jax.Array, intrinsics: jax.Array, train: bool = False
  ) -> dict[str, Any]:
    """The full training forward pass on augmented frames [B, 3, H, W, 3].

    Returns sigmas / depths / scale of the target, per-step poses and, when
    depth consistency is on, the scale-0 depth of both sources [B, 2, H, W, 1].
    """
    batch = frames.shape[0]
    if self.cfg.depth_for_sources:
      images = jnp.concatenate([frames[:, 1], frames[:, 0], frames[:, 2]])
    else:
      images = frames[:, 1]
    sigmas, scale, depths = self.depth(images, train)
    out = {
        "sigma": {s: x[:batch] for s, x in sigmas.items()},
        "depth": {s: x[:batch] for s, x in depths.items()},
        "scale": scale[:batch],
    }
    if self.cfg.depth_for_sources:
      d0 = depths[0]
      out["source_depth"] = jnp.stack(
          [d0[batch : 2 * batch], d0[2 * batch :]], axis=1
      )
    out["pose_steps"] = self.poses(frames, out["depth"][0], intrinsics, train)
    return out
