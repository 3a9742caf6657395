"""Driving-scene depth data from local copies: vKITTI, KITTI raw, Make3D.

Nothing is downloaded; every reader names the files it expected when one is
missing. A file that exists but does not decode (a truncated PNG or JPEG, a
garbled .mat) raises `pp.CorruptRecordError` naming it, which the pipeline
skips and counts (`data/num_corrupt`) or, with `skip_corrupt=False`, stops
on. Records are raw (uint8 HWC images, float32 depth in metres with 0 =
no ground truth); resizing and normalisation are the caller's preprocessing.

* `VKitti(root)`: Virtual KITTI 1.3.1, `vkitti_1.3.1_rgb/<scene>/<variation>/
  <frame>.png` with the twin depth PNG under `vkitti_1.3.1_depthgt/` (uint16,
  centimetres; sky is 65535).
* `KittiStereo(root, list_file, gt=...)`: KITTI raw stereo pairs from a file
  list whose lines are `left right calib_dir [velodyne]` (GASDA/Eigen lists),
  relative to `root`. fb (focal x baseline, px m) comes from
  `calib_cam_to_cam.txt`. Ground truth for val/test is the Velodyne scan
  projected into the left camera (`gt="velodyne"`, the Eigen protocol;
  optionally cached as one `.npy` per image) or the official KITTI depth
  PNGs (`gt="png"`: uint16 / 256 m, 0 invalid).
* `Make3D(root)`: Test134 `Test134/img-<name>.jpg` and laser depth
  `Gridlaserdata/depth_sph_corr-<name>.mat` (`Position3DGrid[..., 3]`).
"""

import glob
import os
from typing import Any

import numpy as np
import scipy.io

from jaxvision import user_errors
from jaxvision.data import pp

VKITTI_RGB = "vkitti_1.3.1_rgb"
VKITTI_DEPTH = "vkitti_1.3.1_depthgt"
GT_KINDS = ("none", "velodyne", "png")


def _require(path: str, what: str) -> str:
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"Missing {path!r} ({what}). Put a local copy "
        "there; nothing is downloaded automatically."
    )
  return path


def read_rgb(path: str) -> np.ndarray:
  return pp.decode_file(_require(path, "image"), "RGB").astype(
      np.uint8, copy=False
  )


def read_png_uint16(path: str) -> np.ndarray:
  array = pp.decode_file(_require(path, "16-bit depth PNG"))
  if array.dtype not in (np.uint16, np.int32):
    raise user_errors.InvalidValueError(
        f"{path!r} is not a 16-bit PNG (dtype {array.dtype})."
    )
  return array.astype(np.float32)


def read_kitti_depth_png(path: str) -> np.ndarray:
  """Official KITTI depth map: uint16 / 256 metres, 0 = no measurement."""
  return read_png_uint16(path) / 256.0


def read_vkitti_depth_png(path: str) -> np.ndarray:
  """vKITTI depth: uint16 centimetres -> metres (sky 65535 -> 655.35 m)."""
  return read_png_uint16(path) / 100.0


class VKitti:
  """Virtual KITTI 1.3.1 image/depth pairs: {"image", "depth"}."""

  def __init__(self, root: str):
    rgb_root = _require(
        os.path.join(root, VKITTI_RGB),
        f"vKITTI RGB folder; expected {VKITTI_RGB}/<scene>/"
        "<variation>/<frame>.png",
    )
    _require(os.path.join(root, VKITTI_DEPTH), "vKITTI depth folder")
    self._root = root
    self.files = sorted(
        os.path.relpath(p, rgb_root)
        for p in glob.glob(os.path.join(rgb_root, "*", "*", "*.png"))
    )
    if not self.files:
      raise user_errors.InvalidValueError(
          f"No vKITTI frames under {rgb_root!r} (expected "
          "<scene>/<variation>/<frame>.png)."
      )

  def __len__(self) -> int:
    return len(self.files)

  def __getitem__(self, index: int) -> dict[str, Any]:
    rel = self.files[int(index)]
    return {
        "image": read_rgb(os.path.join(self._root, VKITTI_RGB, rel)),
        "depth": read_vkitti_depth_png(
            os.path.join(self._root, VKITTI_DEPTH, rel)
        ),
    }


def read_calib_file(path: str) -> dict[str, np.ndarray]:
  """KITTI `key: v1 v2 ...` calibration text -> {key: float array}."""
  out = {}
  with open(_require(path, "KITTI calibration file")) as f:
    for line in f:
      key, sep, value = line.partition(":")
      if not sep:
        continue
      try:
        out[key.strip()] = np.array([float(v) for v in value.split()])
      except ValueError:
        continue  # calib_time and other non-numeric entries
  return out


def focal_baseline(cam_to_cam: dict[str, np.ndarray]) -> float:
  """fb = f * (P3[0,3]/-P3[0,0] - P2[0,3]/-P2[0,0]) in px * m (spec 6)."""
  p2 = cam_to_cam["P_rect_02"].reshape(3, 4)
  p3 = cam_to_cam["P_rect_03"].reshape(3, 4)
  return float(p2[0, 0] * (p3[0, 3] / -p3[0, 0] - p2[0, 3] / -p2[0, 0]))


def velodyne_depth(calib_dir: str, velodyne_path: str) -> np.ndarray:
  """Sparse left-camera depth from a Velodyne scan (Eigen / Monodepth).

  Points are projected with P_rect_02 R_rect_00 T_velo->cam, points behind
  the sensor are dropped, pixel = round(u) - 1, and duplicates keep the
  minimum depth. The map has the original camera resolution (S_rect_02).
  """
  cam = read_calib_file(os.path.join(calib_dir, "calib_cam_to_cam.txt"))
  velo = read_calib_file(os.path.join(calib_dir, "calib_velo_to_cam.txt"))
  velo_to_cam = np.eye(4)
  velo_to_cam[:3, :3] = velo["R"].reshape(3, 3)
  velo_to_cam[:3, 3] = velo["T"]
  rect = np.eye(4)
  rect[:3, :3] = cam["R_rect_00"].reshape(3, 3)
  project = cam["P_rect_02"].reshape(3, 4) @ rect @ velo_to_cam
  width, height = cam["S_rect_02"].astype(int)
  points = np.fromfile(
      _require(velodyne_path, "Velodyne .bin scan"), np.float32
  ).reshape(-1, 4)
  points = points[points[:, 0] >= 0]
  homogeneous = np.concatenate([points[:, :3], np.ones((len(points), 1))], 1)
  image_pts = homogeneous @ project.T
  u = np.round(image_pts[:, 0] / image_pts[:, 2]).astype(int) - 1
  v = np.round(image_pts[:, 1] / image_pts[:, 2]).astype(int) - 1
  z = points[:, 0]
  inside = (u >= 0) & (v >= 0) & (u < width) & (v < height)
  depth = np.full((height, width), np.inf)
  np.minimum.at(depth, (v[inside], u[inside]), z[inside])
  depth[np.isinf(depth)] = 0.0
  return depth.astype(np.float32)


class KittiStereo:
  """KITTI raw stereo pairs from a list: {"image", "right", "fb"[, "depth"]}.

  Args:
    root: the KITTI raw root the list's paths are relative to.
    list_file: lines `left right calib_dir [velodyne_or_depth_png]`.
    gt: "none" (training pairs), "velodyne" (project the 4th column's scan)
      or "png" (the 4th column is an official uint16 depth PNG).
    cache_dir: with gt="velodyne", projected maps are saved/read here as
      `<line index>.npy` so the projection runs once.
  """

  def __init__(
      self,
      root: str,
      list_file: str,
      gt: str = "none",
      cache_dir: str | None = None,
  ):
    if gt not in GT_KINDS:
      raise user_errors.InvalidValueError(
          f"KittiStereo gt={gt!r}; valid: {GT_KINDS}."
      )
    with open(_require(list_file, "KITTI file list")) as f:
      self.lines = [line.split() for line in f if line.strip()]
    need = 4 if gt != "none" else 3
    short = [i for i, parts in enumerate(self.lines) if len(parts) < need]
    if short:
      raise user_errors.InvalidValueError(
          f"{list_file!r} line {short[0] + 1} has fewer than "
          f"{need} columns (left right calib_dir"
          f"{' gt' if need == 4 else ''})."
      )
    self._root, self._gt, self._cache = root, gt, cache_dir
    self._fb: dict[str, float] = {}

  def __len__(self) -> int:
    return len(self.lines)

  def _path(self, rel: str) -> str:
    return os.path.join(self._root, rel)

  def fb(self, calib_dir: str) -> float:
    if calib_dir not in self._fb:
      self._fb[calib_dir] = focal_baseline(
          read_calib_file(
              os.path.join(self._path(calib_dir), "calib_cam_to_cam.txt")
          )
      )
    return self._fb[calib_dir]

  def _depth(self, index: int, parts: list[str]) -> np.ndarray:
    if self._gt == "png":
      return read_kitti_depth_png(self._path(parts[3]))
    cached = os.path.join(self._cache, f"{index}.npy") if self._cache else None
    if cached and os.path.exists(cached):
      return np.load(cached)
    depth = velodyne_depth(self._path(parts[2]), self._path(parts[3]))
    if cached:
      os.makedirs(self._cache, exist_ok=True)
      np.save(cached, depth)
    return depth

  def __getitem__(self, index: int) -> dict[str, Any]:
    index = int(index)
    parts = self.lines[index]
    record = {
        "image": read_rgb(self._path(parts[0])),
        "right": read_rgb(self._path(parts[1])),
        "fb": np.float32(self.fb(parts[2])),
    }
    if self._gt != "none":
      record["depth"] = self._depth(index, parts)
    return record


class Make3D:
  """Make3D Test134: {"image" (uint8), "depth" (55x305 laser depth, m)}."""

  def __init__(self, root: str):
    image_dir = _require(
        os.path.join(root, "Test134"), "Make3D Test134 image folder"
    )
    _require(os.path.join(root, "Gridlaserdata"), "Make3D laser folder")
    self._root = root
    self.names = sorted(
        os.path.basename(p)[len("img-") : -len(".jpg")]
        for p in glob.glob(os.path.join(image_dir, "img-*.jpg"))
    )
    if not self.names:
      raise user_errors.InvalidValueError(
          f"No img-*.jpg files in {image_dir!r}."
      )

  def __len__(self) -> int:
    return len(self.names)

  def __getitem__(self, index: int) -> dict[str, Any]:
    name = self.names[int(index)]
    mat_path = _require(
        os.path.join(self._root, "Gridlaserdata", f"depth_sph_corr-{name}.mat"),
        "Make3D laser depth .mat",
    )
    try:
      mat = scipy.io.loadmat(mat_path)
    except (OSError, ValueError, TypeError) as e:
      raise pp.CorruptRecordError(
          f"{mat_path} cannot be read: {type(e).__name__}: {e}"
      ) from e
    if "Position3DGrid" not in mat:
      raise user_errors.InvalidValueError(
          f"depth_sph_corr-{name}.mat has no Position3DGrid."
      )
    return {
        "image": read_rgb(
            os.path.join(self._root, "Test134", f"img-{name}.jpg")
        ),
        "depth": np.asarray(mat["Position3DGrid"][..., 3], np.float32),
    }
