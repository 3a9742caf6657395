"""Local PoseTrack 2018 (2D keypoint tracks) for LMR's 2D/3D training mix.

One of the three 2D datasets seed 002 ch. 6 lists (PennAction, PoseTrack,
InstaVariety), in its official per-video JSON, plus the frozen backbone's
features of each person track (nothing is downloaded):

  <root>/posetrack/annotations/<split>/<video>.json   the official file:
      "images" [{"id", "frame_id" (optional; else list order),
      "is_labeled"}], "annotations" [{"image_id", "track_id",
      "keypoints": 17 x (x, y, v)}]; joints: nose, head_bottom, head_top,
      left/right ear (unannotated), L/R shoulder, L/R elbow, L/R wrist,
      L/R hip, L/R knee, L/R ankle.
  <root>/posetrack/features/<video>_<track_id>.npy   f32[N, F]: one row per
      annotation of the track, in frame order.

A track becomes one sequence per run of consecutive labeled frames (a
missing frame ends a run, so windows never bridge a gap), named
`<video>_<track>_<run>`. Joints go to LSP-14 in VIBE's 1.2x keypoint-box
crop as for Penn Action (`penn_action.crop_keypoints`): head_bottom is the
neck, head_top the head. No 3D joints, no SMPL.
"""

import glob
import json
import os

import numpy as np

from jaxvision import user_errors
from jaxvision.data import penn_action

SPLITS = ("train", "val")
# LSP-14 joint -> PoseTrack joint.
POSETRACK_TO_LSP14 = (16, 14, 12, 11, 13, 15, 10, 8, 6, 5, 7, 9, 1, 2)


def _sequence(kps: np.ndarray, features: np.ndarray) -> dict:
  kp2d, valid = penn_action.crop_keypoints(
      kps[..., 0], kps[..., 1], kps[..., 2], POSETRACK_TO_LSP14
  )
  length = len(kps)
  return {
      "features": features,
      "kp2d": kp2d,
      "kp3d": np.zeros_like(kp2d),
      "pose": np.zeros((length, 72), np.float32),
      "shape": np.zeros((length, 10), np.float32),
      "valid": valid,
      "has_smpl": np.bool_(False),
      "action": "",
  }


def load_video(path: str, feature_dir: str) -> dict[str, dict]:
  """`<video>_<track>_<run>` -> sequence, for one annotation file."""
  with open(path) as f:
    video = json.load(f)
  name = os.path.splitext(os.path.basename(path))[0]
  images = [im for im in video["images"] if im.get("is_labeled", True)]
  images.sort(key=lambda im: im.get("frame_id", 0))
  position = {im["id"]: i for i, im in enumerate(images)}
  tracks = {}
  for a in video["annotations"]:
    if a["image_id"] in position and a.get("keypoints"):
      tracks.setdefault(a["track_id"], []).append(
          (position[a["image_id"]], a["keypoints"])
      )
  out = {}
  for track, rows in sorted(tracks.items()):
    rows.sort(key=lambda r: r[0])
    feature_path = os.path.join(feature_dir, f"{name}_{track}.npy")
    features = penn_action.load_features(
        feature_path, len(rows), "track", "track", "annotation", "posetrack"
    )
    kps = np.asarray([r[1] for r in rows], np.float64).reshape(-1, 17, 3)
    frames = np.array([r[0] for r in rows])
    breaks = np.flatnonzero(np.diff(frames) != 1) + 1
    for run, (lo, hi) in enumerate(
        zip(np.r_[0, breaks], np.r_[breaks, len(rows)])
    ):
      out[f"{name}_{track}_{run}"] = _sequence(kps[lo:hi], features[lo:hi])
  return out


def load_split(root: str, split: str) -> dict[str, dict]:
  """sequence name -> sequence of the official train or val split."""
  if split not in SPLITS:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"PoseTrack has splits {SPLITS}, not {split!r}",
            "posetrack",
            "use 'train' or 'val'",
        )
    )
  folder = os.path.join(os.path.expanduser(root), "posetrack")
  paths = sorted(
      glob.glob(os.path.join(folder, "annotations", split, "*.json"))
  )
  if not paths:
    raise user_errors.MissingInputError(
        user_errors.message(
            "no PoseTrack annotations",
            os.path.join(folder, "annotations", split),
            "unpack the official PoseTrack 2018 JSON there",
        )
    )
  out = {}
  for path in paths:
    out.update(load_video(path, os.path.join(folder, "features")))
  return out
