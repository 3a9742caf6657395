"""Trajectory metrics for EuRoC pose evaluation (Table 5.3, spec 8).

Predicted consecutive relative poses are chained into a trajectory; ATE is
the translation RMSE after a 7-DoF Sim(3) Umeyama alignment to GT (metres);
RPE averages frame-to-frame translation (after the same scale) and rotation
(degrees) errors. The text only says "follow Zhan et al. 2020"; these are the
spec defaults.
"""

import numpy as np


def chain(relative: np.ndarray) -> np.ndarray:
  """Camera-to-world poses [N+1, 4, 4] from T_{t->t+1} [N, 4, 4] (t+1 <- t).

  Pose 0 is the identity; pose t+1 = pose t @ inv(T_{t->t+1}).
  """
  poses = [np.eye(4)]
  for rel in relative:
    poses.append(poses[-1] @ np.linalg.inv(rel))
  return np.stack(poses)


def umeyama(
    src: np.ndarray, dst: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
  """s, R, t minimising ||dst - (s R src + t)||^2 over points [N, 3]."""
  mu_s, mu_d = src.mean(0), dst.mean(0)
  xs, xd = src - mu_s, dst - mu_d
  cov = xd.T @ xs / len(src)
  u, d, vt = np.linalg.svd(cov)
  sign = np.eye(3)
  if np.linalg.det(u) * np.linalg.det(vt) < 0:
    sign[2, 2] = -1
  rot = u @ sign @ vt
  var = (xs**2).sum() / len(src)
  scale = float(np.trace(np.diag(d) @ sign) / var) if var > 0 else 1.0
  return scale, rot, mu_d - scale * rot @ mu_s


def ate(pred_positions: np.ndarray, gt_positions: np.ndarray) -> float:
  """Translation RMSE (m) after Sim(3) alignment of prediction to GT."""
  if pred_positions.shape != gt_positions.shape or len(pred_positions) < 3:
    raise ValueError(
        f"ATE needs matching [N>=3, 3] trajectories, got "
        f"{pred_positions.shape} and {gt_positions.shape}."
    )
  s, rot, t = umeyama(pred_positions, gt_positions)
  aligned = s * pred_positions @ rot.T + t
  return float(np.sqrt(np.mean(np.sum((aligned - gt_positions) ** 2, -1))))


def rpe(
    pred_relative: np.ndarray, gt_relative: np.ndarray, scale: float = 1.0
) -> tuple[float, float]:
  """Mean frame-to-frame translation (m) and rotation (deg) errors."""
  trans, rots = [], []
  for pred, gt in zip(pred_relative, gt_relative):
    pred = pred.copy()
    pred[:3, 3] *= scale
    err = np.linalg.inv(gt) @ pred
    trans.append(np.linalg.norm(err[:3, 3]))
    cos = np.clip((np.trace(err[:3, :3]) - 1) / 2, -1, 1)
    rots.append(np.degrees(np.arccos(cos)))
  return float(np.mean(trans)), float(np.mean(rots))


def evaluate_trajectory(
    pred_relative: np.ndarray, gt_cam_to_world: np.ndarray
) -> dict[str, float]:
  """ATE / RPE of chained predictions against GT camera-to-world poses."""
  gt = np.linalg.inv(gt_cam_to_world[0]) @ gt_cam_to_world
  pred = chain(pred_relative)
  scale, _, _ = umeyama(pred[:, :3, 3], gt[:, :3, 3])
  gt_relative = np.linalg.inv(gt[1:]) @ gt[:-1]
  rpe_t, rpe_r = rpe(pred_relative, gt_relative, scale)
  return {
      "ate": ate(pred[:, :3, 3], gt[:, :3, 3]),
      "rpe_trans": rpe_t,
      "rpe_rot_deg": rpe_r,
  }
