"""Human mesh recovery metrics: MPJPE, PA-MPJPE, PVE, acceleration error.

Protocol (VIBE's evaluator, spec 8): 14 LSP-order joints (from
`J_regressor_h36m @ verts` mapped by `H36M_TO_J14`, or a 14-joint regressor);
both skeletons are pelvis-aligned with the pelvis = mid-point of LSP joints
2 (R hip) and 3 (L hip), not SMPL joint 0. Inputs are in metres, results in
millimetres. Acceleration error is per frame² (the chapter's "mm/s²") and is
never differenced across two sequences.
"""

import collections

import numpy as np

LSP14_NAMES = (
    "R_ankle",
    "R_knee",
    "R_hip",
    "L_hip",
    "L_knee",
    "L_ankle",
    "R_wrist",
    "R_elbow",
    "R_shoulder",
    "L_shoulder",
    "L_elbow",
    "L_wrist",
    "neck",
    "head",
)
# H36M 17-joint regressor output -> the 14 LSP joints (VIBE/SPIN).
H36M_TO_J14 = (6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10)
LSP14_HIPS = (2, 3)
# Table 6.2 per-part joints in LSP order (default, not in the text).
LSP14_PARTS = {
    "right_leg": (0, 1, 2),
    "left_leg": (3, 4, 5),
    "right_arm": (6, 7, 8),
    "left_arm": (9, 10, 11),
    "head": (12, 13),
}
ACCEL_MODES = ("per_sequence", "vibe_concat")


def to_lsp14(joints: np.ndarray) -> np.ndarray:
  """[..., 17 | 14, 3] regressor joints -> [..., 14, 3] LSP order."""
  if joints.shape[-2] == 17:
    return joints[..., list(H36M_TO_J14), :]
  if joints.shape[-2] == 14:
    return joints
  raise ValueError(
      f"expected 17 (H36M regressor) or 14 (LSP) joints, got "
      f"{joints.shape[-2]}."
  )


def align_pelvis(joints: np.ndarray, hips=LSP14_HIPS) -> np.ndarray:
  """Subtracts the mid-hip point: [..., K, 3] -> [..., K, 3]."""
  pelvis = joints[..., list(hips), :].mean(axis=-2, keepdims=True)
  return joints - pelvis


def procrustes(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
  """Per frame, the similarity transform of `pred` closest to `gt` (spec 5.3).

  pred, gt: [..., K, 3]. Returns s R pred + t, [..., K, 3].
  """
  pred = np.asarray(pred, np.float64)
  gt = np.asarray(gt, np.float64)
  mu_p = pred.mean(axis=-2, keepdims=True)
  mu_g = gt.mean(axis=-2, keepdims=True)
  xp, xg = pred - mu_p, gt - mu_g
  k = np.swapaxes(xp, -1, -2) @ xg  # [..., 3, 3] = X_P X_G^T (column sets)
  u, _, vt = np.linalg.svd(k)
  v = np.swapaxes(vt, -1, -2)
  z = np.broadcast_to(np.eye(3), k.shape).copy()
  z[..., 2, 2] = np.sign(np.linalg.det(v @ np.swapaxes(u, -1, -2)))
  rot = v @ z @ np.swapaxes(u, -1, -2)
  var = np.sum(xp**2, axis=(-1, -2))
  scale = np.trace(rot @ k, axis1=-2, axis2=-1) / np.maximum(var, 1e-12)
  aligned = scale[..., None, None] * (xp @ np.swapaxes(rot, -1, -2)) + mu_g
  return aligned


def joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
  """Per-joint Euclidean distances [..., K] (same units as the inputs)."""
  return np.linalg.norm(np.asarray(pred, np.float64) - gt, axis=-1)


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
  """Per-frame, per-joint error after pelvis alignment, [..., K]."""
  return joint_errors(align_pelvis(pred), align_pelvis(gt))


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
  """Per-frame, per-joint error after Procrustes alignment, [..., K]."""
  return joint_errors(procrustes(pred, gt), gt)


def pve(pred_verts: np.ndarray, gt_verts: np.ndarray) -> np.ndarray:
  """Per-frame mean vertex error, no alignment (BASE), [...]."""
  return joint_errors(pred_verts, gt_verts).mean(axis=-1)


def accel_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
  """Per-frame acceleration error of ONE sequence [T, K, 3] -> [T - 2].

  ‖(G_{t-1} - 2G_t + G_{t+1}) - (P_{t-1} - 2P_t + P_{t+1})‖ averaged over
  joints, on pelvis-aligned joints.
  """
  if pred.shape[0] < 3:
    return np.zeros((0,))
  pred, gt = align_pelvis(np.asarray(pred, np.float64)), align_pelvis(gt)
  acc_p = pred[:-2] - 2 * pred[1:-1] + pred[2:]
  acc_g = gt[:-2] - 2 * gt[1:-1] + gt[2:]
  return np.linalg.norm(acc_p - acc_g, axis=-1).mean(axis=-1)


class Accumulator:
  """Collects frames of many sequences; `results()` gives metrics in mm.

  `add(seq_id, frames, pred_joints, gt_joints, ...)` may be called with the
  windows of a sequence in any order; acceleration is computed per sequence
  on its frames sorted by index (`accel_mode="per_sequence"`), or, as VIBE's
  evaluator does, over all windows concatenated in arrival order
  ("vibe_concat", which differences across sequence boundaries).
  """

  def __init__(self, accel_mode: str = "per_sequence"):
    if accel_mode not in ACCEL_MODES:
      raise ValueError(
          f"accel_mode must be one of {ACCEL_MODES}, got " f"{accel_mode!r}."
      )
    self.accel_mode = accel_mode
    self._joints = collections.defaultdict(list)
    self._order = []
    self._pve = []
    self._groups = collections.defaultdict(list)

  def add(
      self,
      seq_ids,
      frames,
      pred_joints,
      gt_joints,
      pred_verts=None,
      gt_verts=None,
      groups=None,
  ):
    """Adds frames: seq_ids/frames [N], joints [N, 14, 3] (m), verts [N, V, 3].

    groups: optional [N] labels (e.g. H36M actions) for per-group PA-MPJPE.
    """
    pred_joints, gt_joints = to_lsp14(pred_joints), to_lsp14(gt_joints)
    for i, (seq, frame) in enumerate(zip(seq_ids, frames)):
      key = (str(seq), int(frame))
      self._joints[key[0]].append((key[1], pred_joints[i], gt_joints[i]))
      self._order.append((pred_joints[i], gt_joints[i]))
      if groups is not None:
        self._groups[str(groups[i])].append(len(self._order) - 1)
    if pred_verts is not None:
      self._pve.extend(pve(pred_verts, gt_verts).tolist())

  def __len__(self) -> int:
    return len(self._order)

  def _accel(self) -> np.ndarray:
    if self.accel_mode == "vibe_concat":
      pred, gt = (np.stack(x) for x in zip(*self._order))
      return accel_error(pred, gt)
    errors = []
    for frames in self._joints.values():
      frames = sorted(frames, key=lambda f: f[0])
      index = np.array([f[0] for f in frames])
      pred = np.stack([f[1] for f in frames])
      gt = np.stack([f[2] for f in frames])
      err = accel_error(pred, gt)
      # Only frames whose two neighbours are the adjacent frame indices.
      contiguous = (index[2:] - index[:-2]) == 2
      errors.append(err[contiguous])
    return np.concatenate(errors) if errors else np.zeros((0,))

  def results(self) -> dict[str, float]:
    """MPJPE, PA-MPJPE (+ per part, per group), PVE, accel, in mm."""
    if not self._order:
      raise ValueError("No frames were added; the evaluation split is empty.")
    pred, gt = (np.stack(x) for x in zip(*self._order))
    err = mpjpe(pred, gt) * 1000
    pa_err = pa_mpjpe(pred, gt) * 1000
    out = {
        "mpjpe": float(err.mean()),
        "pa_mpjpe": float(pa_err.mean()),
        "num_frames": float(len(pred)),
    }
    for part, joints in LSP14_PARTS.items():
      out[f"mpjpe_{part}"] = float(err[:, list(joints)].mean())
      out[f"pa_mpjpe_{part}"] = float(pa_err[:, list(joints)].mean())
    for group, rows in sorted(self._groups.items()):
      out[f"pa_mpjpe_{group}"] = float(pa_err[rows].mean())
    if self._pve:
      out["pve"] = float(np.mean(self._pve) * 1000)
    accel = self._accel()
    if accel.size:
      out["accel_error"] = float(accel.mean() * 1000)
    return out
