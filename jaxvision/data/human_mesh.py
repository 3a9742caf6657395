"""Local Human3.6M, 3DPW and MPI-INF-3DHP in a preprocessed npz format.

None of these datasets can be downloaded here (all are license-gated). This
reader expects them preprocessed (e.g. converted from VIBE's `*_db.pt` files
with features from the frozen SPIN ResNet-50) as one `.npz` per sequence:

  <root>/<dataset>/<split>/<sequence>.npz
    features  f32[T, F]      per-frame backbone features (F = 2048 for SPIN)
    kp2d      f32[T, 14, 3]  LSP-order 2D joints, (x, y) in the [-1, 1] crop
                             frame, plus confidence (0 = missing)
    kp3d      f32[T, 14, 3]  LSP-order 3D joints in metres (camera frame)
    pose      f32[T, 72]     SMPL axis-angle θ      (optional: SMPL GT)
    shape     f32[T, 10] | f32[10]   SMPL β          (optional: SMPL GT)
    valid     bool[T]        frames to use          (optional, default all)
    action    str            H36M action label      (optional)

with dataset in {h36m, 3dpw, mpi_inf_3dhp} and split in `DATASETS`. Sequences
are cut into windows of T frames that never cross a sequence boundary.
"""

import glob
import os

import numpy as np

from jaxvision import user_errors

DATASETS = {
    "h36m": ("train", "test"),
    "3dpw": ("train", "validation", "test"),
    "mpi_inf_3dhp": ("train", "test"),
}
NUM_JOINTS = 14
TAILS = ("drop", "pad")


def _layout_hint(root: str, dataset: str, split: str) -> str:
  return (
      f"Put one .npz per sequence under {root}/{dataset}/{split}/ with "
      "keys features [T,F], kp2d [T,14,3], kp3d [T,14,3] and optionally "
      "pose [T,72], shape [T,10], valid [T], action (see "
      "jaxvision/data/human_mesh.py and docs/methods/lmr.md)."
  )


def sequence_paths(root: str, dataset: str, split: str) -> list[str]:
  """The split's sequence files, sorted; clear errors for a bad layout."""
  if dataset not in DATASETS:
    raise user_errors.InvalidValueError(
        f"Unknown dataset {dataset!r}; known: " f"{sorted(DATASETS)}."
    )
  if split not in DATASETS[dataset]:
    raise user_errors.InvalidValueError(
        f"{dataset} has splits {DATASETS[dataset]}, not " f"{split!r}."
    )
  root = os.path.expanduser(root)
  paths = sorted(glob.glob(os.path.join(root, dataset, split, "*.npz")))
  if not paths:
    raise FileNotFoundError(
        f"No sequences found for {dataset}/{split}. "
        + _layout_hint(root, dataset, split)
    )
  return paths


def load_sequence(path: str) -> dict[str, np.ndarray]:
  """One validated sequence; SMPL labels are zeros with has_smpl False."""
  with np.load(path, allow_pickle=False) as data:
    seq = {k: data[k] for k in data.files}
  missing = {"features", "kp2d", "kp3d"} - set(seq)
  if missing:
    raise user_errors.InvalidValueError(
        f"{path}: missing keys {sorted(missing)}."
    )
  length = len(seq["features"])
  expect = {"kp2d": (length, NUM_JOINTS, 3), "kp3d": (length, NUM_JOINTS, 3)}
  for key, shape in expect.items():
    if seq[key].shape != shape:
      raise user_errors.InvalidValueError(
          f"{path}: {key} has shape {seq[key].shape}, expected "
          f"{shape} (LSP-order joints)."
      )
  has_smpl = "pose" in seq and "shape" in seq
  shape = seq.get("shape", np.zeros(10, np.float32))
  if shape.ndim == 1:
    shape = np.broadcast_to(shape, (length, shape.shape[0]))
  out = {
      "features": seq["features"].astype(np.float32),
      "kp2d": seq["kp2d"].astype(np.float32),
      "kp3d": seq["kp3d"].astype(np.float32),
      "pose": seq.get("pose", np.zeros((length, 72), np.float32)).astype(
          np.float32
      ),
      "shape": np.asarray(shape, np.float32),
      "valid": seq.get("valid", np.ones(length, bool)).astype(bool),
      "has_smpl": np.bool_(has_smpl),
      "action": str(seq["action"]) if "action" in seq else "",
  }
  for key in ("pose", "shape", "valid"):
    if len(out[key]) != length:
      raise user_errors.InvalidValueError(
          f"{path}: {key} has {len(out[key])} frames, features "
          f"have {length}."
      )
  return out


def load_split(root: str, dataset: str, split: str) -> dict[str, dict]:
  """name -> sequence for every file of the split."""
  return {
      os.path.splitext(os.path.basename(p))[0]: load_sequence(p)
      for p in sequence_paths(root, dataset, split)
  }


def window_starts(
    length: int, seq_len: int, stride: int, tail: str = "drop"
) -> list[int]:
  """Window start frames: full windows, plus a padded tail with "pad"."""
  if tail not in TAILS:
    raise user_errors.InvalidValueError(
        f"tail must be one of {TAILS}, got {tail!r}."
    )
  starts = list(range(0, length - seq_len + 1, stride))
  covered = starts[-1] + seq_len if starts else 0
  if tail == "pad" and covered < length:
    starts.append(starts[-1] + stride if starts else 0)
  return starts


def make_windows(
    sequences: dict[str, dict], seq_len: int, stride: int, tail: str = "drop"
) -> dict[str, np.ndarray]:
  """Stacks windows of `seq_len` frames from each sequence.

  Returns arrays with a leading window axis: features, kp2d, kp3d, pose,
  shape [N, T, ...]; frame_mask [N, T] (valid and not padding); w_smpl,
  w_3d [N] (w_3d False when the kp3d are all zero); seq [N] (sequence name),
  frame [N, T] (frame index); action [N].
  """
  keys = ("features", "kp2d", "kp3d", "pose", "shape")
  out = {
      k: []
      for k in keys + ("frame_mask", "w_smpl", "w_3d", "seq", "frame", "action")
  }
  for name, seq in sequences.items():
    length = len(seq["features"])
    for start in window_starts(length, seq_len, stride, tail):
      index = np.arange(start, start + seq_len)
      real = index < length
      index = np.minimum(index, length - 1)  # "pad" repeats the last frame
      for k in keys:
        out[k].append(seq[k][index])
      out["frame_mask"].append(real & seq["valid"][index])
      out["w_smpl"].append(seq["has_smpl"])
      out["w_3d"].append(bool(np.any(seq["kp3d"][index])))
      out["seq"].append(name)
      out["frame"].append(index.astype(np.int32))
      out["action"].append(seq["action"])
  if not out["seq"]:
    raise user_errors.InvalidValueError(
        f"No window of {seq_len} frames fits in any of the "
        f"{len(sequences)} sequences (use tail='pad')."
    )
  return {
      k: np.stack(v) if k not in ("seq", "action") else np.array(v)
      for k, v in out.items()
  }
