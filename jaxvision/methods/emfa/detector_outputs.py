r"""Detector outputs in their published formats -> the dataset's npz files.

Mask R-CNN, Keypoint R-CNN and OpenPose (S1-S2) are not in this stack; run
them elsewhere and keep their per-frame JSON outputs under one folder per
clip (`raw`):

  <raw>/<clip_id>/maskrcnn/*<frame>.json      COCO results of one frame: a
      list of {"category_id", "bbox": [x, y, w, h], "score",
      "segmentation"} (COCO ids: person = 1, sports ball = 37), or
      {"annotations": [...]}; segmentation is an RLE {"size": [h, w],
      "counts": str (compressed) | list (uncompressed)} or polygons
      [[x1, y1, x2, y2, ...], ...].
  <raw>/<clip_id>/maskrcnn/timing.json        optional {"frames": n,
      "seconds": s}: detector wall-clock, for the FPS of Table 2.5.
  <raw>/<clip_id>/keypointrcnn/*<frame>.json  COCO results with "keypoints":
      17 x (x, y, score).
  <raw>/<clip_id>/openpose/*<frame>_keypoints.json  OpenPose's own output,
      {"people": [{"pose_keypoints_2d": 25 x (x, y, c)}]}.

`<frame>` is the last run of digits in a file name (OpenPose writes
`<video>_000000000012_keypoints.json`); the smallest number over a clip's
files is frame 0. `convert` keeps the person and sports-ball detections
and writes `detections/<clip_id>.npz` and `keypoints/<clip_id>.npz` under
the dataset root in the layout that `jaxvision.data.soccer` reads, and
`prepare` then runs tracking, keypoint fusion and Algorithm 1 on every clip
of meta.csv, caching the registered energy images and mask sequences exactly
where the training pipeline reads them (`data.prepared_soccer_clip`):

  python -m jaxvision.methods.emfa.detector_outputs \
      --config configs/emfa/ema_net.py:task=all \
      --config.data.root=/data/soccer_highlights --raw /data/soccer_raw
"""

import argparse
import glob
import json
import os
import re
import sys

import numpy as np

from jaxvision import user_errors
from jaxvision.data import soccer

SOURCES = ("maskrcnn", "keypointrcnn", "openpose")


def _bad(path: str, what: str) -> user_errors.InvalidValueError:
  return user_errors.InvalidValueError(
      user_errors.message(
          what,
          path,
          "write the detector output in the format described in "
          "jaxvision/methods/emfa/detector_outputs.py",
      )
  )


def rle_counts(counts: str) -> list[int]:
  """Run lengths of a compressed COCO RLE string (pycocotools' rleFrString).

  Each count is 5-bit groups in ASCII from 48, 0x20 = more groups follow,
  0x10 in the last group = negative; from the third count on, a count is a
  delta to the count two before.
  """
  out, p = [], 0
  while p < len(counts):
    x, k, more = 0, 0, True
    while more:
      c = ord(counts[p]) - 48
      x |= (c & 0x1F) << (5 * k)
      more = bool(c & 0x20)
      p, k = p + 1, k + 1
      if not more and c & 0x10:
        x |= -1 << (5 * k)
    if len(out) > 2:
      x += out[-2]
    out.append(x)
  return out


def decode_rle(rle: dict, path: str = "") -> np.ndarray:
  """(h, w) uint8 mask of a COCO RLE: alternating 0/1 runs, column-major."""
  h, w = (int(v) for v in rle["size"])
  counts = rle["counts"]
  runs = rle_counts(counts) if isinstance(counts, str) else list(counts)
  if any(r < 0 for r in runs) or sum(runs) != h * w:
    raise _bad(path, f"RLE counts sum to {sum(runs)}, not {h}x{w}")
  flat = np.repeat(np.arange(len(runs)) % 2, runs).astype(np.uint8)
  return flat.reshape((h, w), order="F")


def rasterize_polygons(polygons, h: int, w: int) -> np.ndarray:
  """(h, w) uint8: pixels whose centre lies inside any polygon (even-odd)."""
  py, px = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
  mask = np.zeros((h, w), bool)
  for poly in polygons:
    xy = np.asarray(poly, np.float64).reshape(-1, 2)
    inside = np.zeros((h, w), bool)
    for (x1, y1), (x2, y2) in zip(xy, np.roll(xy, -1, axis=0)):
      if y1 == y2:
        continue
      crosses = (y1 > py) != (y2 > py)
      x_at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
      inside ^= crosses & (px < x_at)
    mask |= inside
  return mask.astype(np.uint8)


def segmentation_mask(seg, h: int, w: int, path: str = "") -> np.ndarray:
  """A COCO `segmentation` (RLE dict or polygon list) as an (h, w) mask."""
  if isinstance(seg, dict):
    mask = decode_rle(seg, path)
    if mask.shape != (h, w):
      raise _bad(
          path,
          f"RLE size {list(mask.shape)} is not the frame's "
          f"{h}x{w} (meta.csv)",
      )
    return mask
  if isinstance(seg, list):
    return rasterize_polygons(seg, h, w)
  raise _bad(path, "segmentation is neither an RLE dict nor polygons")


def frame_number(path: str) -> int:
  digits = re.findall(r"\d+", os.path.basename(path))
  if not digits:
    raise _bad(path, "the file name has no frame number")
  return int(digits[-1])


def _frame_files(folder: str) -> list[tuple[int, str]]:
  paths = [
      p
      for p in glob.glob(os.path.join(folder, "*.json"))
      if os.path.basename(p) != "timing.json"
  ]
  return sorted((frame_number(p), p) for p in paths)


def _read_json(path: str):
  try:
    with open(path) as f:
      return json.load(f)
  except json.JSONDecodeError as e:
    raise _bad(path, f"not JSON ({e.msg})") from e


def _results(path: str) -> list[dict]:
  data = _read_json(path)
  if isinstance(data, dict):
    data = data.get("annotations", data.get("detections"))
  if not isinstance(data, list):
    raise _bad(path, "expected a list of COCO results or {'annotations': ...}")
  return data


def _keypoints(values, joints: int, path: str) -> np.ndarray:
  arr = np.asarray(values, np.float32)
  if arr.size != joints * 3:
    raise _bad(path, f"a skeleton has {arr.size} values, not {joints} x 3")
  return arr.reshape(joints, 3)


def convert_clip(raw_dir: str, height: int, width: int) -> tuple[dict, dict]:
  """(detections, keypoints) npz arrays of one clip's raw detector folder."""
  files = {s: _frame_files(os.path.join(raw_dir, s)) for s in SOURCES}
  if not files["maskrcnn"]:
    raise user_errors.MissingInputError(
        user_errors.message(
            "no Mask R-CNN frame JSON",
            os.path.join(raw_dir, "maskrcnn"),
            "run the detector and write one COCO-results JSON per frame there",
        )
    )
  first = min(f for s in SOURCES for f, _ in files[s][:1])
  det = {"frame": [], "boxes": [], "scores": [], "labels": [], "masks": []}
  for number, path in files["maskrcnn"]:
    for r in _results(path):
      # NOTE: only persons and balls are kept: the method and Table 2.5 use
      # no other class, and a full-frame mask per detection is large.
      if int(r["category_id"]) not in (soccer.PERSON, soccer.SPORTS_BALL):
        continue
      x, y, w, h = (float(v) for v in r["bbox"])
      det["frame"].append(number - first)
      det["boxes"].append([x, y, x + w, y + h])
      det["scores"].append(float(r.get("score", 1.0)))
      det["labels"].append(int(r["category_id"]))
      det["masks"].append(
          segmentation_mask(r["segmentation"], height, width, path)
      )
  detections = {
      "frame": np.asarray(det["frame"], np.int32),
      "boxes": np.asarray(det["boxes"], np.float32).reshape(-1, 4),
      "scores": np.asarray(det["scores"], np.float32),
      "labels": np.asarray(det["labels"], np.int32),
      "masks": np.asarray(det["masks"], np.uint8).reshape(-1, height, width),
  }
  timing = os.path.join(raw_dir, "maskrcnn", "timing.json")
  if os.path.exists(timing):
    t = _read_json(timing)
    detections["timing"] = np.asarray([t["frames"], t["seconds"]], np.float64)
  kps = {}
  for name, source, joints in (
      ("coco17", "keypointrcnn", 17),
      ("body25", "openpose", 25),
  ):
    people, frames = [], []
    for number, path in files[source]:
      if source == "openpose":
        people_here = [
            p["pose_keypoints_2d"] for p in _read_json(path).get("people", [])
        ]
      else:
        people_here = [r["keypoints"] for r in _results(path)]
      for values in people_here:
        people.append(_keypoints(values, joints, path))
        frames.append(number - first)
    if files[source]:
      kps[name] = np.asarray(people, np.float32).reshape(-1, joints, 3)
      kps[f"{name}_frame"] = np.asarray(frames, np.int32)
  if not kps:
    raise user_errors.MissingInputError(
        user_errors.message(
            "neither keypointrcnn/ nor openpose/ frame JSON",
            raw_dir,
            "run Keypoint R-CNN and/or OpenPose on the clip's frames",
        )
    )
  return detections, kps


def convert(root: str, raw: str) -> list[str]:
  """Writes detections/ and keypoints/ npz of every meta.csv clip in `raw`.

  Returns the converted clip ids; clips without a raw folder are skipped
  (their npz files may already exist).
  """
  meta = soccer.read_meta(root)
  done = []
  for clip_id, row in sorted(meta.items()):
    raw_dir = os.path.join(raw, clip_id)
    if not os.path.isdir(raw_dir):
      continue
    det, kps = convert_clip(raw_dir, int(row["height"]), int(row["width"]))
    for folder, arrays in (("detections", det), ("keypoints", kps)):
      os.makedirs(os.path.join(root, folder), exist_ok=True)
      np.savez_compressed(
          os.path.join(root, folder, f"{clip_id}.npz"), **arrays
      )
    done.append(clip_id)
  return done


def prepare(config) -> dict[str, int]:
  """Tracks, fuses, registers and caches every meta.csv clip (the files the
  training pipeline reads); returns clip id -> registered frames."""
  # NOTE: imported here so that `convert` needs no model code.
  from jaxvision.methods.emfa import data  # pylint: disable=g-import-not-at-top

  root = os.path.expanduser(config.data.root)
  meta = soccer.read_meta(root)
  return {
      c: int(
          data.prepared_soccer_clip(root, c, meta, config)["registered_frames"]
      )
      for c in sorted(meta)
  }


def main(argv: list[str]) -> int:
  # NOTE: imported here so that the module's functions need no config code.
  from jaxvision import config_lib  # pylint: disable=g-import-not-at-top
  from jaxvision import errors  # pylint: disable=g-import-not-at-top

  parser = argparse.ArgumentParser(
      prog="python -m jaxvision.methods.emfa.detector_outputs",
      description=__doc__.split("\n")[0],
  )
  parser.add_argument(
      "--config",
      required=True,
      help="an EMA-Net config, e.g. configs/emfa/ema_net.py",
  )
  parser.add_argument(
      "--raw",
      default="",
      help="folder of per-clip detector JSON; empty: only "
      "prepare from existing npz files",
  )
  args, rest = parser.parse_known_args(argv)
  try:
    bad = [a for a in rest if not a.startswith("--config.")]
    if bad:
      raise user_errors.InvalidValueError(
          user_errors.message(
              f"unknown arguments {bad}",
              "command line",
              "pass only --config, --raw and --config.<key>=<value>",
          )
      )
    config = config_lib.load_config(args.config, [a[2:] for a in rest])
    if args.raw:
      done = convert(
          os.path.expanduser(config.data.root), os.path.expanduser(args.raw)
      )
      print(f"converted {len(done)} clips")
    for clip_id, frames in prepare(config).items():
      print(f"{clip_id} registered_frames={frames}")
  except Exception as e:  # pylint: disable=broad-except
    code = errors.exit_code(e)
    if code is None:
      raise
    print(f"error: {e}", file=sys.stderr)
    return code
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
