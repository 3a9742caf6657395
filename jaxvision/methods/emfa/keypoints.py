"""Keypoint layouts and the fusion of Keypoint R-CNN with OpenPose (S2-S3).

The dissertation runs two pose estimators because COCO keypoints lack a
mid-hip joint: Keypoint R-CNN (torchvision, COCO-17) and OpenPose (BODY_25).
Registration only needs the torso and knee joints, so both are fused into one
small layout, `JOINTS`, of (x, y, confidence) per joint; confidence 0 marks a
missing joint.
"""

import numpy as np

from jaxvision import user_errors

# The registration joints (spec S3): shoulders, neck, hips, mid-hip, knees.
JOINTS = (
    "LShoulder",
    "RShoulder",
    "Neck",
    "LHip",
    "RHip",
    "MidHip",
    "LKnee",
    "RKnee",
)
J = {name: i for i, name in enumerate(JOINTS)}

# Indices in torchvision's Keypoint R-CNN output (COCO-17, no neck).
COCO17 = {
    "LShoulder": 5,
    "RShoulder": 6,
    "LHip": 11,
    "RHip": 12,
    "LKnee": 13,
    "RKnee": 14,
}
# Indices in OpenPose BODY_25.
BODY25 = {
    "Neck": 1,
    "RShoulder": 2,
    "LShoulder": 5,
    "MidHip": 8,
    "RHip": 9,
    "RKnee": 10,
    "LHip": 12,
    "LKnee": 13,
}

SOURCES = ("krcnn", "openpose")


def _check(kps: np.ndarray | None, joints: int, name: str, n: int | None):
  if kps is None:
    return
  if kps.ndim != 3 or kps.shape[1:] != (joints, 3):
    raise user_errors.InvalidValueError(
        f"{name} keypoints must be (frames, {joints}, 3) "
        f"(x, y, confidence), got shape {kps.shape}."
    )
  if n is not None and kps.shape[0] != n:
    raise user_errors.InvalidValueError(
        f"{name} has {kps.shape[0]} frames, expected {n}."
    )


def fuse(
    coco17: np.ndarray | None,
    body25: np.ndarray | None,
    sources=SOURCES,
    krcnn_thresh: float = 0.3,
    openpose_thresh: float = 0.1,
) -> np.ndarray:
  """Per-frame fused joints (n, len(JOINTS), 3); confidence 0 = missing.

  Per joint: Keypoint R-CNN if its score >= `krcnn_thresh`, else OpenPose if
  its confidence >= `openpose_thresh`, else missing (spec S3 default). MidHip
  is OpenPose's joint 8 or the midpoint of both hips; Neck is OpenPose's
  joint 1 or the shoulder midpoint.

  Args:
    coco17: (n, 17, 3) Keypoint R-CNN keypoints of the tracked player, or None.
    body25: (n, 25, 3) OpenPose BODY_25 keypoints, or None.
    sources: which of ("krcnn", "openpose") to use (an ablation knob).
    krcnn_thresh: minimum Keypoint R-CNN keypoint score.
    openpose_thresh: minimum OpenPose confidence.
  """
  unknown = set(sources) - set(SOURCES)
  if unknown or not sources:
    raise user_errors.InvalidValueError(
        f"keypoint sources must be a non-empty subset of "
        f"{SOURCES}, got {tuple(sources)}."
    )
  coco17 = coco17 if "krcnn" in sources else None
  body25 = body25 if "openpose" in sources else None
  if coco17 is None and body25 is None:
    raise user_errors.InvalidValueError(
        f"No keypoints given for the sources {tuple(sources)}."
    )
  _check(coco17, 17, "kps_coco17", None)
  n = len(coco17) if coco17 is not None else len(body25)
  _check(body25, 25, "kps_body25", n)
  out = np.zeros((n, len(JOINTS), 3), np.float32)
  for name, j in J.items():
    for kps, table, thresh in (
        (coco17, COCO17, krcnn_thresh),
        (body25, BODY25, openpose_thresh),
    ):
      if kps is None or name not in table:
        continue
      cand = kps[:, table[name]].astype(np.float32)
      # NOTE: OpenPose writes missing joints as (0, 0, 0); a low score is not
      # a coordinate to trust either (spec pitfall 5).
      ok = (cand[:, 2] >= thresh) & (cand[:, 2] > 0) & (out[:, j, 2] == 0)
      out[ok, j] = cand[ok]
  _midpoint(out, "MidHip", "LHip", "RHip")
  _midpoint(out, "Neck", "LShoulder", "RShoulder")
  return out


def _midpoint(joints: np.ndarray, target: str, a: str, b: str) -> None:
  """Fills a missing `target` joint with the midpoint of `a` and `b`."""
  t, ia, ib = J[target], J[a], J[b]
  fill = (
      (joints[:, t, 2] == 0) & (joints[:, ia, 2] > 0) & (joints[:, ib, 2] > 0)
  )
  joints[fill, t, :2] = (joints[fill, ia, :2] + joints[fill, ib, :2]) / 2
  joints[fill, t, 2] = np.minimum(joints[fill, ia, 2], joints[fill, ib, 2])


def box_from_keypoints(
    kps: np.ndarray, pad: float = 0.1, min_conf: float = 1e-6
) -> np.ndarray | None:
  """xyxy box of the valid joints of one person, padded by `pad` per side."""
  valid = kps[:, 2] >= min_conf
  if valid.sum() < 2:
    return None
  lo, hi = kps[valid, :2].min(0), kps[valid, :2].max(0)
  margin = (hi - lo) * pad
  return np.concatenate([lo - margin, hi + margin]).astype(np.float32)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """IoU between boxes a (..., 4) and b (..., 4), xyxy, broadcasting."""
  lo = np.maximum(a[..., :2], b[..., :2])
  hi = np.minimum(a[..., 2:], b[..., 2:])
  inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
  area = lambda x: np.prod(np.clip(x[..., 2:] - x[..., :2], 0, None), -1)
  union = area(a) + area(b) - inter
  return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
