"""Held-out evaluation: MPJPE, PA-MPJPE, PVE, accel error (spec 8).

Eval sequences are cut into non-overlapping windows of `data.seq_len`
frames (the tail dropped, as VIBE does, or padded and masked with
`eval.tail="pad"`). Predicted joints are the 14 LSP joints regressed from
the predicted mesh; ground-truth vertices for PVE come from GT (θ, β)
through the same (neutral) model (`eval.pve_gt_model="neutral"`, BASE).
The mean-pose baseline (θ_mean, β_mean for every frame) is reported next
to the model as `baseline_*`.
"""

import jax.numpy as jnp
import numpy as np

from jaxvision.core import inference
from jaxvision.evaluators import mesh
from jaxvision.methods.lmr import build
from jaxvision.methods.lmr import data
from jaxvision.models import rotations

PVE_GT_MODELS = ("neutral",)


def forward_fn(config):
  """fn(params, features [B, T, F]) -> final-iteration outputs + mesh."""
  model = build.build_model(config)
  body = data.assets(config)[1]
  mean = build.mean_inputs(config)

  def forward(params, features):
    out = model.apply({"params": params}, features, *mean)[-1]
    verts, joints = body(out["rotmat"], out["betas"], "lsp14")
    return {
        "verts": verts,
        "joints": joints,
        "rotmat": out["rotmat"],
        "betas": out["betas"],
        "cam": out["cam"],
    }

  return forward


def _mean_body(config):
  """Vertices and LSP joints of the mean pose and shape (the baseline)."""
  _, body, mean = data.assets(config)
  rotmat = rotations.rot6d_to_matrix(jnp.asarray(mean["pose"]).reshape(-1, 6))
  verts, joints = body(rotmat, jnp.asarray(mean["shape"]), "lsp14")
  return np.asarray(verts), np.asarray(joints)


def evaluate(ctx, state) -> dict[str, float]:
  config = ctx.config
  if config.eval.pve_gt_model not in PVE_GT_MODELS:
    raise ValueError(
        f"eval.pve_gt_model must be one of {PVE_GT_MODELS} "
        "(gendered GT meshes need the male/female models)."
    )
  windows = data.eval_windows(config)
  body = data.assets(config)[1]
  run = inference.Replicated(state.params["model"]).jit(forward_fn(config))
  gt_run = inference.Replicated({}).jit(
      lambda _, pose, shape: body.smpl.from_axis_angle(shape, pose).vertices
  )
  mean_verts, mean_joints = _mean_body(config)
  model_acc = mesh.Accumulator(config.eval.accel_mode)
  base_acc = mesh.Accumulator(config.eval.accel_mode)
  batch_size = config.eval.batch_size
  use_groups = bool(np.any(windows["action"] != ""))
  for lo in range(0, len(windows["seq"]), batch_size):
    sl = slice(lo, lo + batch_size)
    out = run(windows["features"][sl])
    gt_verts = gt_run(windows["pose"][sl], windows["shape"][sl])
    keep = windows["frame_mask"][sl].reshape(-1)
    n_frames = keep.shape[0]
    seq = np.repeat(windows["seq"][sl], config.data.seq_len)[keep]
    frames = windows["frame"][sl].reshape(-1)[keep]
    gt = windows["kp3d"][sl].reshape(n_frames, -1, 3)[keep]
    has_smpl = np.repeat(windows["w_smpl"][sl], config.data.seq_len)[keep]
    groups = (
        np.repeat(windows["action"][sl], config.data.seq_len)[keep]
        if use_groups
        else None
    )
    pred_verts = out["verts"].reshape((n_frames,) + out["verts"].shape[2:])
    gt_verts = gt_verts.reshape(pred_verts.shape)[keep]
    pred_verts = pred_verts[keep]
    pred = out["joints"].reshape(n_frames, -1, 3)[keep]
    base = np.broadcast_to(mean_joints, pred.shape)
    base_verts = np.broadcast_to(mean_verts, pred_verts.shape)
    for acc, joints, verts in (
        (model_acc, pred, pred_verts),
        (base_acc, base, base_verts),
    ):
      acc.add(
          seq,
          frames,
          joints,
          gt,
          verts[has_smpl] if has_smpl.any() else None,
          gt_verts[has_smpl] if has_smpl.any() else None,
          groups,
      )
  results = model_acc.results()
  base = base_acc.results()
  for key in ("mpjpe", "pa_mpjpe", "pve", "accel_error"):
    if key in base:
      results[f"baseline_{key}"] = base[key]
  return results


def predict_params(config, params, features: np.ndarray) -> dict:
  """Runs the regressor on [N, T, F] features -> numpy outputs."""
  run = inference.Replicated(params).jit(forward_fn(config))
  return run(np.asarray(features, jnp.float32))
