"""Player-of-interest track and keypoint/box matching (S3).

Per frame, from the raw detector outputs of `jaxvision.data.soccer`:
  1. players = Mask R-CNN 'person' boxes with score > person_thresh, balls =
     'sports ball' boxes with score > ball_thresh (0.5 / 0.4 in the seed);
  2. the acting player's box follows the track greedily: the player box with
     the highest IoU against the previous frame's box (started from the CVAT
     box, or the highest-scoring player of the first frame);
  3. each pose source's skeletons get a box from their joints (+10%), and the
     skeleton whose box best overlaps the tracked box is matched if that IoU
     exceeds `kp_box_iou` (0.8 dribbling, 0.5 shooting);
  4. the mask M_j = the player's instance mask OR the masks of balls whose
     centre lies within `ball_radius` x the player-box diagonal.
Frames without a tracked player are marked invalid.
"""

from typing import Any, Mapping

import numpy as np

from jaxvision import user_errors
from jaxvision.data import soccer
from jaxvision.methods.emfa import keypoints as kp_lib


def _match_skeleton(skeletons, box, threshold: float):
  best, best_iou = None, threshold
  for s in skeletons:
    kbox = kp_lib.box_from_keypoints(s)
    if kbox is None:
      continue
    overlap = float(kp_lib.iou(kbox, box))
    if overlap > best_iou:
      best, best_iou = s, overlap
  return best


def track(
    raw: Mapping[str, Any], cfg: Mapping[str, Any], include_ball: bool
) -> dict[str, np.ndarray]:
  """A tracked clip: masks, boxes, kps_coco17, kps_body25, frame_valid.

  Args:
    raw: `soccer.load_clip` output.
    cfg: config.data.tracking (person_thresh, ball_thresh, kp_box_iou as a
      {coarse: threshold} dict, ball_radius).
    include_ball: OR nearby ball masks into the player mask.
  """
  det, kps = raw["detections"], raw["keypoints"]
  n, (h, w) = raw["num_frames"], raw["frame_size"]
  if det["masks"].shape[1:] != (h, w):
    raise user_errors.InvalidValueError(
        f"{raw['clip_id']}: masks are {det['masks'].shape[1:]} "
        f"but meta.csv says {h}x{w}."
    )
  thresholds = dict(cfg["kp_box_iou"])
  coarse = raw["meta"]["coarse"]
  if coarse not in thresholds:
    raise user_errors.InvalidValueError(
        f"data.tracking.kp_box_iou has no threshold for "
        f"{coarse!r} clips (has {sorted(thresholds)})."
    )
  people = (det["labels"] == soccer.PERSON) & (
      det["scores"] > cfg["person_thresh"]
  )
  balls = (det["labels"] == soccer.SPORTS_BALL) & (
      det["scores"] > cfg["ball_thresh"]
  )
  out = {
      "masks": np.zeros((n, h, w), np.float32),
      "boxes": np.full((n, 4), np.nan, np.float32),
      "kps_coco17": np.zeros((n, 17, 3), np.float32),
      "kps_body25": np.zeros((n, 25, 3), np.float32),
      "frame_valid": np.zeros(n, bool),
  }
  prev = None if raw["init_box"] is None else raw["init_box"][1]
  start = 0 if raw["init_box"] is None else raw["init_box"][0]
  for j in range(start, n):
    cand = np.nonzero(people & (det["frame"] == j))[0]
    if not cand.size:
      continue
    if prev is None:
      pick = cand[np.argmax(det["scores"][cand])]
    else:
      overlaps = kp_lib.iou(det["boxes"][cand], prev[None])
      if overlaps.max() <= 0:
        continue
      pick = cand[np.argmax(overlaps)]
    box = det["boxes"][pick].astype(np.float32)
    prev = box
    mask = det["masks"][pick].astype(np.float32)
    if include_ball:
      diag = np.hypot(*(box[2:] - box[:2]))
      centre = (box[:2] + box[2:]) / 2
      for b in np.nonzero(balls & (det["frame"] == j))[0]:
        ball_centre = (det["boxes"][b, :2] + det["boxes"][b, 2:]) / 2
        if np.hypot(*(ball_centre - centre)) <= cfg["ball_radius"] * diag:
          mask = np.maximum(mask, det["masks"][b].astype(np.float32))
    out["masks"][j], out["boxes"][j], out["frame_valid"][j] = mask, box, True
    for name, key in (("coco17", "kps_coco17"), ("body25", "kps_body25")):
      if name in kps:
        match = _match_skeleton(
            kps[name][kps[f"{name}_frame"] == j], box, thresholds[coarse]
        )
        if match is not None:
          out[key][j] = match
  if not out["frame_valid"].any():
    raise user_errors.InvalidValueError(
        f"Clip {raw['clip_id']}: no person detection above "
        f"score {cfg['person_thresh']} could be tracked."
    )
  return out
