"""LMR losses (Eqs 6.2-6.5), masked per sample (spec 4, pitfall 8).

Every term is averaged over the frames (and joints) of a clip, then over the
samples that carry its label, dividing by max(count, 1) so a batch without
3D or SMPL labels gives 0, not NaN.
"""

import jax.numpy as jnp

from jaxvision.methods.lmr import geometry
from jaxvision.models import rotations

SMPL_FORMS = ("l2norm_rotmat", "l2norm_axisangle", "vibe_mse")


def masked_mean(per_sample, mask):
  """Mean of [B] values over samples with mask True; 0 if there are none."""
  mask = mask.astype(per_sample.dtype)
  return jnp.sum(per_sample * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def _frame_mean(per_frame, frame_mask):
  """[B, T] -> [B]: mean over the valid frames of each clip."""
  if frame_mask is None:
    return per_frame.mean(-1)
  frame_mask = frame_mask.astype(per_frame.dtype)
  return jnp.sum(per_frame * frame_mask, -1) / jnp.maximum(
      jnp.sum(frame_mask, -1), 1.0
  )


def _safe_norm(x, axis=-1):
  return jnp.sqrt(jnp.sum(jnp.square(x), axis=axis) + 1e-8)


def smpl_loss(
    pred_rotmat,
    pred_betas,
    gt_pose,
    gt_betas,
    mask,
    form: str,
    w_pose: float = 1.0,
    w_shape: float = 1.0,
    frame_mask=None,
):
  """Eq 6.2: per-frame ‖Θ_gt - Θ‖ (camera excluded), mean over frames.

  pred_rotmat [B, T, J, 3, 3], gt_pose [B, T, 3J] axis-angle, betas
  [B, T, 10]. Forms: "l2norm_rotmat" (default; no 2π wrap-around),
  "l2norm_axisangle" (literal text), "vibe_mse" (w_pose MSE on rotation
  matrices + w_shape MSE on β; the weights apply only to this form).
  """
  batch, length = gt_pose.shape[:2]
  gt_aa = gt_pose.reshape(batch, length, -1, 3)
  gt_rotmat = rotations.axis_angle_to_matrix(gt_aa)
  d_betas = pred_betas - gt_betas
  if form == "l2norm_rotmat":
    d_pose = (pred_rotmat - gt_rotmat).reshape(batch, length, -1)
    per_frame = _safe_norm(jnp.concatenate([d_pose, d_betas], -1))
  elif form == "l2norm_axisangle":
    d_pose = (rotations.matrix_to_axis_angle(pred_rotmat) - gt_aa).reshape(
        batch, length, -1
    )
    per_frame = _safe_norm(jnp.concatenate([d_pose, d_betas], -1))
  elif form == "vibe_mse":
    per_frame = w_pose * jnp.mean(
        jnp.square(pred_rotmat - gt_rotmat), axis=(-3, -2, -1)
    ) + w_shape * jnp.mean(jnp.square(d_betas), -1)
  else:
    raise ValueError(
        f"loss.smpl_form must be one of {SMPL_FORMS}, got " f"{form!r}."
    )
  return masked_mean(_frame_mean(per_frame, frame_mask), mask)


def joints3d_loss(pred, gt, mask, joint_set: str = "lsp14", frame_mask=None):
  """Eq 6.3: L1 (|dx|+|dy|+|dz|) on pelvis-centred joints, mean over T, K."""
  diff = geometry.center(pred, joint_set) - geometry.center(gt, joint_set)
  per_frame = jnp.sum(jnp.abs(diff), -1).mean(-1)
  return masked_mean(_frame_mean(per_frame, frame_mask), mask)


def keypoints2d_loss(pred, gt, mask):
  """Eq 6.4: confidence-weighted L1 on 2D keypoints, mean over T, K.

  gt [B, T, K, 3] = (x, y, confidence), normalised crop coordinates;
  padded or invalid frames carry confidence 0.
  """
  l1 = jnp.sum(jnp.abs(pred - gt[..., :2]), -1) * gt[..., 2]
  return masked_mean(l1.mean(axis=(1, 2)), mask)
