"""Local copy of the Soccer Players Highlight Videos dataset (seed 002 ch. 2).

The dataset (569 clips: 233 dribbling, 336 shooting) was promised at
github.com/bragilee/Soccer_Players_Highlight_Videos_Dataset; nothing is
downloaded here. The off-the-shelf detectors of the paper (Mask R-CNN,
Keypoint R-CNN, OpenPose) are *not* run in JAX: their per-frame outputs are
precomputed files. Layout under `root`:

  meta.csv                  one row per clip, header:
      clip_id,coarse,fine,source,match_id,fps,height,width,role,source_clip
      coarse in {dribbling, shooting}; fine in FINE_CLASSES; role in
      {player, goalkeeper} (goalkeeper rows are tracklets of the shooter
      clip `source_clip`, labelled Goal-Saving); match_id may be empty.
  detections/<clip_id>.npz  Mask R-CNN (torchvision COCO-91 labels), one row
      per detection of any frame:
      frame (K,) int, boxes (K, 4) float xyxy pixels, scores (K,),
      labels (K,) int (person = 1, sports ball = 37),
      masks (K, H, W) uint8/bool (mask probability binarised at 0.5).
  keypoints/<clip_id>.npz   every detected person of every frame:
      coco17 (P, 17, 3) Keypoint R-CNN (x, y, score), coco17_frame (P,);
      body25 (Q, 25, 3) OpenPose BODY_25 (x, y, conf; missing = 0,0,0),
      body25_frame (Q,). Either pair may be absent.
  annotations/<clip_id>.json  optional CVAT COCO export; the first box of the
      acting player (category names ACTING_CATEGORIES[role]) starts the
      track. Images are taken in `id` order as frames 0..n-1.
  splits/<task>_fold<k>.json  optional {"train": [...], "val": [...],
      "test": [...]} clip ids; when absent, the clips are dealt into
      NUM_FOLDS seeded, class-stratified folds that partition them, whole
      matches at a time where match_id is known (the seed samples per
      match); `fold=k` tests on drawn fold k and validates on a share
      (SPLIT_SIZES' val : train) of the other folds' matches.
"""

import csv
import json
import os

import numpy as np

from jaxvision import user_errors

FINE_CLASSES = (
    "Penalty-Kick",
    "Goal",
    "Free-Kick",
    "Stepover",
    "Elastico",
    "Chop",
    "Goal-Saving",
)
TASKS = {
    "shooting": ("Penalty-Kick", "Goal", "Free-Kick"),
    "dribbling": ("Stepover", "Elastico", "Chop"),
    "all": (
        "Penalty-Kick",
        "Goal",
        "Free-Kick",
        "Stepover",
        "Elastico",
        "Chop",
    ),
    "shooting_gk": ("Penalty-Kick", "Goal", "Free-Kick", "Goal-Saving"),
}
NUM_FOLDS = 5
# Train/val/test clip counts of the seed (Section 2.4.5).
SPLIT_SIZES = {
    "shooting": (242, 30, 64),
    "dribbling": (157, 31, 45),
    "all": (397, 62, 110),
    "shooting_gk": (241, 30, 65),
}
ACTING_CATEGORIES = {
    "player": ("player", "shooter", "dribbler"),
    "goalkeeper": ("goalkeeper",),
}
META_COLUMNS = (
    "clip_id",
    "coarse",
    "fine",
    "source",
    "match_id",
    "fps",
    "height",
    "width",
    "role",
    "source_clip",
)
PERSON, SPORTS_BALL = 1, 37


def _missing(path: str, what: str) -> FileNotFoundError:
  return FileNotFoundError(
      f"{path} not found ({what}). Put a local copy of the Soccer Players "
      "Highlight Videos dataset in the layout described in "
      "jaxvision/data/soccer.py (meta.csv, detections/, keypoints/) and set "
      "--config.data.root to its folder."
  )


def task_classes(task: str) -> tuple[str, ...]:
  if task not in TASKS:
    raise user_errors.InvalidValueError(
        f"Unknown soccer task {task!r}; valid: {sorted(TASKS)}."
    )
  return TASKS[task]


def read_meta(root: str) -> dict[str, dict[str, str]]:
  """clip_id -> meta row, validated."""
  path = os.path.join(root, "meta.csv")
  if not os.path.exists(path):
    raise _missing(path, "clip metadata")
  with open(path, newline="") as f:
    reader = csv.DictReader(f)
    missing = set(META_COLUMNS) - set(reader.fieldnames or ())
    if missing:
      raise user_errors.InvalidValueError(
          f"{path} lacks columns {sorted(missing)}; header must "
          f"be {','.join(META_COLUMNS)}."
      )
    rows = {r["clip_id"]: r for r in reader}
  for clip_id, row in rows.items():
    if row["fine"] not in FINE_CLASSES:
      raise user_errors.InvalidValueError(
          f"{path}: clip {clip_id!r} has fine label "
          f"{row['fine']!r}; valid: {FINE_CLASSES}."
      )
    if row["role"] not in ACTING_CATEGORIES:
      raise user_errors.InvalidValueError(
          f"{path}: clip {clip_id!r} has role {row['role']!r}; "
          f"valid: {sorted(ACTING_CATEGORIES)}."
      )
  return rows


def label_of(row: dict[str, str], task: str) -> int:
  return task_classes(task).index(
      "Goal-Saving" if row["role"] == "goalkeeper" else row["fine"]
  )


def _npz(path: str, what: str) -> dict[str, np.ndarray]:
  if not os.path.exists(path):
    raise _missing(path, what)
  with np.load(path) as f:
    return {k: f[k] for k in f.files}


def load_clip(root: str, clip_id: str, meta=None) -> dict:
  """Raw per-clip detections, keypoints and the initial acting-player box.

  `meta` is `read_meta(root)`, read here when not given.
  """
  meta = read_meta(root) if meta is None else meta
  if clip_id not in meta:
    raise KeyError(f"Clip {clip_id!r} is not in {root}/meta.csv.")
  row = meta[clip_id]
  det = _npz(
      os.path.join(root, "detections", f"{clip_id}.npz"),
      "Mask R-CNN detections",
  )
  for key in ("frame", "boxes", "scores", "labels", "masks"):
    if key not in det:
      raise user_errors.InvalidValueError(
          f"detections/{clip_id}.npz lacks {key!r}; it needs "
          "frame, boxes, scores, labels, masks."
      )
  kps = _npz(os.path.join(root, "keypoints", f"{clip_id}.npz"), "keypoints")
  if "coco17" not in kps and "body25" not in kps:
    raise user_errors.InvalidValueError(
        f"keypoints/{clip_id}.npz has neither coco17 nor body25."
    )
  num_frames = int(det["frame"].max()) + 1 if len(det["frame"]) else 0
  for name in ("coco17", "body25"):
    if f"{name}_frame" in kps and len(kps[f"{name}_frame"]):
      num_frames = max(num_frames, int(kps[f"{name}_frame"].max()) + 1)
  return {
      "clip_id": clip_id,
      "meta": row,
      "num_frames": num_frames,
      "frame_size": (int(row["height"]), int(row["width"])),
      "detections": det,
      "keypoints": kps,
      "init_box": _initial_box(root, clip_id, row["role"]),
  }


def _initial_box(root: str, clip_id: str, role: str):
  """(frame, xyxy box) of the acting player's first CVAT box, or None."""
  path = os.path.join(root, "annotations", f"{clip_id}.json")
  if not os.path.exists(path):
    return None
  with open(path) as f:
    coco = json.load(f)
  frames = {
      img["id"]: i
      for i, img in enumerate(sorted(coco["images"], key=lambda im: im["id"]))
  }
  acting = {
      c["id"]
      for c in coco["categories"]
      if c["name"].lower() in ACTING_CATEGORIES[role]
  }
  boxes = sorted(
      (frames[a["image_id"]], a["bbox"])
      for a in coco["annotations"]
      if a["category_id"] in acting
  )
  if not boxes:
    return None
  frame, (x, y, w, h) = boxes[0]
  return frame, np.array([x, y, x + w, y + h], np.float32)


def _match_groups(meta, ids: list[str]) -> list[list[str]]:
  """`ids` grouped by match; a clip without a match_id is its own group."""
  groups: dict[tuple[str, str], list[str]] = {}
  for c in ids:
    match = meta[c]["match_id"].strip()
    groups.setdefault(("match", match) if match else ("clip", c), []).append(c)
  return list(groups.values())


def _deal(composition: np.ndarray, order, num_bins: int) -> np.ndarray:
  """Bin of each group (rows of `composition`: its clips per class), dealt
  in `order`, larger groups first: each to the bin with the fewest clips of
  the group's classes so far (ties: fewest clips, then the lowest bin)."""
  counts = np.zeros((num_bins, composition.shape[1]), np.int64)
  bins = np.empty(len(composition), np.int64)
  for i in sorted(order, key=lambda i: -composition[i].sum()):
    cost = counts @ composition[i]
    bins[i] = np.lexsort((np.arange(num_bins), counts.sum(1), cost))[0]
    counts[bins[i]] += composition[i]
  return bins


def _drawn_splits(
    meta, task: str, fold: int, include_goalkeeper: bool, seed: int
) -> dict[str, list[str]]:
  """Fold `fold` of NUM_FOLDS seeded stratified match-grouped folds.

  The folds partition the player clips (the same for every fold, seeded by
  `seed` only), so across folds every clip is tested exactly once and the
  summed confusion matrices (`evaluate.aggregate_folds`) count each once.
  """
  if not 0 <= fold < NUM_FOLDS:
    raise user_errors.InvalidValueError(
        f"fold {fold} is not one of the {NUM_FOLDS} drawn folds "
        f"(data.fold); set data.fold to 0..{NUM_FOLDS - 1}."
    )
  classes = task_classes(task)
  players = sorted(
      c
      for c, r in meta.items()
      if r["role"] == "player" and r["fine"] in classes
  )
  groups = _match_groups(meta, players)
  composition = np.zeros((len(groups), len(classes)), np.int64)
  for i, group in enumerate(groups):
    for c in group:
      composition[i, classes.index(meta[c]["fine"])] += 1
  folds = _deal(
      composition,
      np.random.default_rng(seed).permutation(len(groups)),
      NUM_FOLDS,
  )
  # Val: whole groups of the other folds, up to the seed's val share of
  # each class, in a fold-seeded order.
  train_size, val_size, _ = SPLIT_SIZES[task]
  rest = np.flatnonzero(folds != fold)
  target = np.round(
      composition[rest].sum(0) * val_size / (train_size + val_size)
  )
  in_val = np.zeros(len(composition), bool)
  val_counts = np.zeros(len(classes))
  for i in np.random.default_rng((seed, fold)).permutation(rest):
    if np.all(val_counts + composition[i] <= target):
      in_val[i] = True
      val_counts += composition[i]
  split = {"train": [], "val": [], "test": []}
  for i, group in enumerate(groups):
    name = "test" if folds[i] == fold else "val" if in_val[i] else "train"
    split[name] += group
  if include_goalkeeper:
    # NOTE: a goalkeeper tracklet follows its source clip's split (spec
    # pitfall 13), else train and test would share frames.
    where = {c: s for s, ids in split.items() for c in ids}
    for c, r in sorted(meta.items()):
      if r["role"] == "goalkeeper" and r["source_clip"] in where:
        split[where[r["source_clip"]]].append(c)
  return split


def split_ids(
    root: str,
    meta,
    task: str,
    fold: int,
    split: str,
    include_goalkeeper: bool = False,
    seed: int = 0,
) -> list[str]:
  """Clip ids of `split` of fold `fold` for `task`."""
  path = os.path.join(root, "splits", f"{task}_fold{fold}.json")
  if os.path.exists(path):
    with open(path) as f:
      splits = json.load(f)
  else:
    splits = _drawn_splits(meta, task, fold, include_goalkeeper, seed)
  if split not in splits:
    raise user_errors.InvalidValueError(
        f"Split {split!r} not in {sorted(splits)} ({path})."
    )
  unknown = [c for c in splits[split] if c not in meta]
  if unknown:
    raise user_errors.InvalidValueError(
        f"{path}: clips {unknown[:5]} are not in meta.csv."
    )
  if not splits[split]:
    raise user_errors.InvalidValueError(
        f"Split {split!r} of task {task!r} fold {fold} is empty."
    )
  return list(splits[split])
