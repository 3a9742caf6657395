"""MonoIndoor++ training objective (spec 4, Eqs 5.1-5.7).

  L = (1/|S|) sum_s [L_A^s + tau * L_s^s / 2^s] + gamma * L_d

L_A: per-pixel photometric error (SSIM + L1, alpha 0.85) of the sources
warped with the *composed* pose, reduced over sources by min (Monodepth2,
default) / mean / sum, with auto-masking. L_s: edge-aware smoothness of the
mean-normalised native-scale disparity. L_d: SC-Depth style depth
consistency at scale 0. All photometric terms compare the un-augmented frames
(spec pitfall 11).
"""

import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.losses import photometric
from jaxvision.methods.monoindoor import geometry

REDUCTIONS = ("min", "mean", "sum")
FINAL_WARPS = ("composed", "sequential")
CONSISTENCY_FORMS = ("text", "sc_depth")


def check_config(loss_cfg: ml_collections.ConfigDict, final_warp: str):
  for key, valid, value in (
      ("loss.reprojection_reduce", REDUCTIONS, loss_cfg.reprojection_reduce),
      (
          "loss.depth_consistency_form",
          CONSISTENCY_FORMS,
          loss_cfg.depth_consistency_form,
      ),
      ("model.residual_pose.final_warp", FINAL_WARPS, final_warp),
  ):
    if value not in valid:
      raise ValueError(f"Unknown {key} {value!r}; valid: {list(valid)}.")


def compose(pose_steps: jax.Array) -> jax.Array:
  """[..., k+1, 4, 4] step poses -> P0 @ P1 @ ... @ Pk (Eq 5.15)."""
  pose = pose_steps[..., 0, :, :]
  for i in range(1, pose_steps.shape[-3]):
    pose = pose @ pose_steps[..., i, :, :]
  return pose


def _warp_source(source, depth, pose_steps, intrinsics, final_warp):
  """The source warped into the target view for the loss (spec 5)."""
  if final_warp == "composed":
    # NOTE: one resampling of the original source (spec pitfall 3).
    return geometry.warp(source, depth, compose(pose_steps), intrinsics)[0]
  image = source
  for i in range(pose_steps.shape[1]):
    image = geometry.warp(image, depth, pose_steps[:, i], intrinsics)[0]
  return image


def reprojection(
    errors: jax.Array, identity: jax.Array | None, reduce: str
) -> jax.Array:
  """Per-pixel loss [B, H, W] from warped errors [B, H, W, n_src].

  With auto-masking (`identity` given, including its tie-break noise),
  "min" takes the minimum over warped and identity errors together, exactly
  as Monodepth2; "mean"/"sum" zero the pixels where an un-warped source fits
  better.
  """
  if reduce == "min":
    if identity is not None:
      errors = jnp.concatenate([errors, identity], axis=-1)
    return jnp.min(errors, axis=-1)
  reduced = errors.mean(-1) if reduce == "mean" else errors.sum(-1)
  if identity is None:
    return reduced
  keep = jnp.min(errors, axis=-1) < jnp.min(identity, axis=-1)
  return jnp.where(keep, reduced, 0.0)


def depth_consistency(depth, source_depth, pose, intrinsics, form):
  """Eq 5.6 for one source: mean_{valid} |D_t - D~| / (D_t + D~).

  "text": sample D_t' at the projection q, lift it back into the target
  frame and compare z with D_t. "sc_depth": compare the projected z of the
  target point with the sampled D_t' (SC-SfMLearner).
  """
  _, height, width, _ = depth.shape
  points = geometry.transform(geometry.backproject(depth, intrinsics), pose)
  uv, z = geometry.project(points, intrinsics)
  sampled = geometry.bilinear_sample(source_depth, uv)
  valid = geometry.in_view(uv, z, height, width)
  if form == "text":
    rays = jnp.einsum(
        "bij,bhwj->bhwi",
        jnp.linalg.inv(intrinsics),
        jnp.concatenate([uv, jnp.ones_like(uv[..., :1])], -1),
    )
    back = geometry.transform(sampled * rays, geometry.invert_pose(pose))
    a, b = depth[..., 0], back[..., 2]
  else:
    a, b = z, sampled[..., 0]
  # NOTE: epsilon in the denominator and invalid projections masked out
  # (spec pitfall 15).
  diff = jnp.abs(a - b) / (jnp.abs(a + b) + 1e-7)
  valid = valid.astype(diff.dtype)
  return jnp.sum(diff * valid) / jnp.maximum(jnp.sum(valid), 1.0)


def total_loss(
    outputs: dict,
    frames: jax.Array,
    intrinsics: jax.Array,
    rng: jax.Array,
    loss_cfg: ml_collections.ConfigDict,
    final_warp: str,
) -> tuple[jax.Array, dict[str, jax.Array]]:
  """Eq 5.7 with Monodepth2's multi-scale bookkeeping.

  Args:
    outputs: `MonoIndoor.__call__` outputs.
    frames: [B, 3, H, W, 3] un-augmented frames in [0, 1], offsets -1, 0, +1.
    intrinsics: [B, 3, 3].
    rng: key for the auto-masking tie-break noise.
    loss_cfg: `config.loss`.
    final_warp: "composed" or "sequential".

  Returns:
    (loss, metrics).
  """
  target = frames[:, 1]
  sources = (frames[:, 0], frames[:, 2])
  pose_steps = outputs["pose_steps"]
  alpha = loss_cfg.ssim_alpha
  identity = None
  if loss_cfg.automask:
    identity = jnp.concatenate(
        [photometric.photometric_error(s, target, alpha) for s in sources], -1
    )
    identity = jax.lax.stop_gradient(
        identity + 1e-5 * jax.random.normal(rng, identity.shape)
    )
  photo_terms, smooth_terms, total = [], [], 0.0
  for s, depth in sorted(outputs["depth"].items()):
    errors = jnp.concatenate(
        [
            photometric.photometric_error(
                _warp_source(
                    src, depth, pose_steps[:, j], intrinsics, final_warp
                ),
                target,
                alpha,
            )
            for j, src in enumerate(sources)
        ],
        -1,
    )
    photo = jnp.mean(
        reprojection(errors, identity, loss_cfg.reprojection_reduce)
    )
    sigma = outputs["sigma"][s]
    small = jax.image.resize(
        target, target.shape[:1] + sigma.shape[1:3] + (3,), "linear"
    )
    smooth = photometric.edge_aware_smoothness(sigma, small)
    total += photo + loss_cfg.smooth_weight * smooth / 2**s
    photo_terms.append(photo)
    smooth_terms.append(smooth)
  total /= len(photo_terms)
  metrics = {
      "photometric": jnp.mean(jnp.stack(photo_terms)),
      "smoothness": jnp.mean(jnp.stack(smooth_terms)),
      "scale": jnp.mean(outputs["scale"]),
  }
  if loss_cfg.depth_consistency_weight > 0:
    consistency = jnp.mean(
        jnp.stack(
            [
                depth_consistency(
                    outputs["depth"][0],
                    outputs["source_depth"][:, j],
                    compose(pose_steps[:, j]),
                    intrinsics,
                    loss_cfg.depth_consistency_form,
                )
                for j in range(2)
            ]
        )
    )
    total += loss_cfg.depth_consistency_weight * consistency
    metrics["depth_consistency"] = consistency
  return total, metrics
