"""From predicted parameters to vertices, joints and 2D keypoints.

Camera models (spec 5.2; `model.cam_model`), all giving normalised crop
coordinates in [-1, 1]:
  text:        x = s Π(X) + t                       (Eq 6.1)
  hmr:         x = s (Π(X) + t)                     (HMR)
  vibe_persp:  perspective, f = 5000, t_z = 2f / (224 s), divided by 112.
The "text" and "hmr" mean cameras and learned weights are not
interchangeable (spec pitfall 13), so the knob covers training and eval.
"""

import jax.numpy as jnp
import numpy as np

from jaxvision.models import smpl as smpl_lib

CAM_MODELS = ("text", "hmr", "vibe_persp")
JOINT_SETS = ("lsp14", "smpl24")
_FOCAL, _CROP = 5000.0, 224.0


def project(points, cam, cam_model: str = "text"):
  """points [..., K, 3], cam [..., 3] = (s, tx, ty) -> [..., K, 2]."""
  s, t = cam[..., None, 0:1], cam[..., None, 1:3]
  if cam_model == "text":
    return s * points[..., :2] + t
  if cam_model == "hmr":
    return s * (points[..., :2] + t)
  if cam_model == "vibe_persp":
    tz = 2 * _FOCAL / (_CROP * s + 1e-9)
    z = points[..., 2:3] + tz
    return _FOCAL * (points[..., :2] + t) / z / (_CROP / 2)
  raise ValueError(
      f"cam_model must be one of {CAM_MODELS}, got " f"{cam_model!r}."
  )


class Body:
  """The SMPL model plus the joint sets used for losses and evaluation.

  joint_set "lsp14": the 14 evaluation joints (`eval_regressor` @ vertices,
  17-joint H36M regressors mapped by H36M_TO_J14), pelvis = mid-hip;
  "smpl24": SMPL's kinematic joints, pelvis = joint 0.
  """

  def __init__(self, arrays: smpl_lib.SmplArrays, eval_regressor: np.ndarray):
    self.smpl = smpl_lib.Smpl(arrays)
    regressor = np.asarray(eval_regressor, np.float32)
    if regressor.ndim != 2 or regressor.shape[1] != arrays.num_vertices:
      raise ValueError(
          f"eval regressor has shape {regressor.shape}; "
          f"expected (17 or 14, {arrays.num_vertices})."
      )
    if regressor.shape[0] == 17:
      from jaxvision.evaluators import mesh  # pylint: disable=g-import-not-at-top

      regressor = regressor[list(mesh.H36M_TO_J14)]
    elif regressor.shape[0] != 14:
      raise ValueError(
          f"eval regressor has {regressor.shape[0]} joints; "
          "expected 17 (J_regressor_h36m) or 14 (LSP order)."
      )
    self.eval_regressor = jnp.asarray(regressor)

  def __call__(self, rotmat, betas, joint_set: str = "lsp14"):
    """-> (vertices [..., V, 3], joints [..., K, 3] pelvis-centred)."""
    out = self.smpl(betas, rotmat)
    if joint_set == "lsp14":
      joints = smpl_lib.regress(self.eval_regressor, out.vertices)
    elif joint_set == "smpl24":
      joints = out.joints
    else:
      raise ValueError(
          f"joint_set must be one of {JOINT_SETS}, got " f"{joint_set!r}."
      )
    return out.vertices, joints


def center(joints, joint_set: str = "lsp14"):
  """Pelvis-centres [..., K, 3]: mid-hip (LSP 2, 3) or SMPL joint 0."""
  if joint_set == "lsp14":
    pelvis = 0.5 * (joints[..., 2:3, :] + joints[..., 3:4, :])
  else:
    pelvis = joints[..., 0:1, :]
  return joints - pelvis
