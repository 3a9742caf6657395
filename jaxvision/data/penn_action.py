"""Local Penn Action (2D keypoints only) for LMR's 2D/3D training mix.

Seed 002 ch. 6 trains "following Kocabas et al." (VIBE) on PennAction,
PoseTrack and InstaVariety 2D clips alongside the 3D datasets. The dataset
is not downloaded here. This reader takes the official release as it
unpacks, plus the per-frame features of the frozen backbone (LMR regresses
from precomputed SPIN ResNet-50 features, which VIBE also stores per frame):

  <root>/pennaction/labels/<video>.mat   the official annotation, with
      x, y (nframes, 13) pixels, visibility (nframes, 13) 0/1,
      train (1 = train, -1 = test), nframes, action (others ignored);
      joints: head, L/R shoulder, L/R elbow, L/R wrist, L/R hip, L/R knee,
      L/R ankle.
  <root>/pennaction/features/<video>.npy  f32[nframes, F] backbone features
      of the 224 x 224 crops described below.

Each frame's crop is VIBE's: the square around the visible joints' box,
side 1.2 x its longer edge; the 2D joints are expressed in that crop as
(x, y) in [-1, 1] (2 (x - centre) / side), in the LSP-14 order of
`jaxvision.data.human_mesh` (Penn Action has no neck: confidence 0). A
frame with fewer than two visible joints has no crop and is not valid.
Sequences carry no 3D joints and no SMPL, so their windows only feed L_2D.
"""

import glob
import os

import numpy as np
import scipy.io

from jaxvision import user_errors
from jaxvision.data import human_mesh

SPLITS = {"train": 1, "test": -1}
# LSP-14 joint -> Penn Action joint (None: absent, the neck).
PENN_TO_LSP14 = (12, 10, 8, 7, 9, 11, 6, 4, 2, 1, 3, 5, None, 0)
CROP_SCALE = 1.2


def load_features(
    path: str, rows: int, what: str, owner: str, unit: str, module: str
) -> np.ndarray:
  """f32[rows, F] backbone features of one `what` (a video, a track): one
  row per `unit` of its `owner` (the labels' frames, the track's
  annotations); a missing file or a row count that does not match is an
  input error naming the file. `module` is the reader the fix points to."""
  if not os.path.isfile(path):
    raise user_errors.MissingInputError(
        user_errors.message(
            f"no backbone features for this {what}",
            path,
            f"extract f32[{unit}s, F] SPIN ResNet-50 features of the 1.2x "
            f"keypoint-box crops (jaxvision/data/{module}.py)",
        )
    )
  features = np.load(path).astype(np.float32)
  if features.ndim != 2 or len(features) != rows:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"features have shape {features.shape}, the {owner} {rows} "
            f"{unit}s",
            path,
            f"write one feature row per {unit}",
        )
    )
  return features


def _field(label: dict, key: str, path: str) -> np.ndarray:
  if key not in label:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"the annotation has no {key!r}",
            path,
            "use the official Penn Action labels/*.mat",
        )
    )
  return np.asarray(label[key])


def crop_keypoints(
    x: np.ndarray, y: np.ndarray, visible: np.ndarray, mapping=PENN_TO_LSP14
) -> tuple[np.ndarray, np.ndarray]:
  """(kp2d [T, 14, 3] in the [-1, 1] crop, valid [T]) from a dataset's
  joints; `mapping[j]` is the source joint of LSP joint j (None: absent)."""
  length = len(x)
  kp = np.zeros((length, human_mesh.NUM_JOINTS, 3), np.float32)
  valid = np.zeros(length, bool)
  for t in range(length):
    vis = visible[t] > 0
    if vis.sum() < 2:
      continue
    lo = np.array([x[t, vis].min(), y[t, vis].min()])
    hi = np.array([x[t, vis].max(), y[t, vis].max()])
    centre, side = (lo + hi) / 2, CROP_SCALE * (hi - lo).max()
    if side <= 0:
      continue
    valid[t] = True
    for j, src in enumerate(mapping):
      if src is not None and vis[src]:
        kp[t, j] = [
            2 * (x[t, src] - centre[0]) / side,
            2 * (y[t, src] - centre[1]) / side,
            1.0,
        ]
  return kp, valid


def load_video(label_path: str, feature_path: str) -> tuple[int, dict]:
  """(split flag, sequence dict as `human_mesh.load_sequence` returns)."""
  label = scipy.io.loadmat(label_path)
  x, y = _field(label, "x", label_path), _field(label, "y", label_path)
  visible = _field(label, "visibility", label_path)
  if (
      x.ndim != 2
      or x.shape[1] != 13
      or y.shape != x.shape
      or (visible.shape != x.shape)
  ):
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"x, y, visibility must be (nframes, 13), got {x.shape}, {y.shape}, "
            f"{visible.shape}",
            label_path,
            "use the official Penn Action labels",
        )
    )
  features = load_features(
      feature_path, len(x), "video", "labels", "frame", "penn_action"
  )
  kp2d, valid = crop_keypoints(
      x.astype(np.float64), y.astype(np.float64), visible
  )
  length = len(x)
  action = label.get("action", np.array([""]))
  return int(_field(label, "train", label_path).ravel()[0]), {
      "features": features,
      "kp2d": kp2d,
      "kp3d": np.zeros_like(kp2d),
      "pose": np.zeros((length, 72), np.float32),
      "shape": np.zeros((length, 10), np.float32),
      "valid": valid,
      "has_smpl": np.bool_(False),
      "action": str(np.asarray(action).ravel()[0]) if np.size(action) else "",
  }


def load_split(root: str, split: str) -> dict[str, dict]:
  """video id -> sequence of the official train or test split."""
  if split not in SPLITS:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"Penn Action has splits {sorted(SPLITS)}, not {split!r}",
            "pennaction",
            "use 'train' or 'test'",
        )
    )
  folder = os.path.join(os.path.expanduser(root), "pennaction")
  paths = sorted(glob.glob(os.path.join(folder, "labels", "*.mat")))
  if not paths:
    raise user_errors.MissingInputError(
        user_errors.message(
            "no Penn Action annotations",
            os.path.join(folder, "labels"),
            "unpack the official release (labels/*.mat) there",
        )
    )
  out = {}
  for path in paths:
    video = os.path.splitext(os.path.basename(path))[0]
    flag, seq = load_video(
        path, os.path.join(folder, "features", f"{video}.npy")
    )
    if flag == SPLITS[split]:
      out[video] = seq
  if not out:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"no Penn Action video has train = {SPLITS[split]}",
            folder,
            f"check the labels' train flags for the {split!r} split",
        )
    )
  return out
