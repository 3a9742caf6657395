"""Local readers for indoor depth datasets in their released layouts.

Nothing is downloaded; each reader names the files it expects when they are
missing. Every dataset becomes a list of `Sequence`s (ordered frames, pixel
intrinsics at the native resolution, optional GT depth files and poses):

  EuRoC MAV   <root>/<SEQ>/mav0/cam0/{data.csv, sensor.yaml, data/*.png};
              optional mav0/state_groundtruth_estimate0/data.csv (poses) and
              mav0/depth/<timestamp>.npy (precomputed GT depth, metres).
              Grayscale, replicated to 3 channels; radtan-undistorted.
  NYUv2 raw   <root>/<sequence>/*.{ppm,png,jpg} (frames sorted by name) and a
              split file with one sequence name per line; NYU RGB intrinsics.
  NYUv2 test  nyu_depth_v2_labeled.mat ("images" [N,3,W,H] / "depths"
              [N,W,H] as stored by MATLAB). MATLAB v7.3 files are HDF5 and
              need h5py; v5 files are read with scipy.io.
  7-Scenes    <root>/<scene>/seq-XX/frame-XXXXXX.{color.png, depth.png
              (uint16 mm, 65535 invalid), pose.txt}, TrainSplit.txt /
              TestSplit.txt ("sequence1" per line).
  ScanNet     exported scenes (ScanNet's SensReader): <root>/<scene>/
              {color/<i>.jpg, depth/<i>.png (uint16 mm), pose/<i>.txt,
              intrinsic/intrinsic_color.txt}.

`TripletSource` turns sequences into random-access training triplets
(t-s, t, t+s) resized to the training resolution with K scaled to match
(half-pixel convention, spec 5); `FrameSource` gives eval frames with GT
depth at its own resolution.
"""

import csv
import dataclasses
import glob
import os

import numpy as np
from PIL import Image
import yaml

from jaxvision import user_errors
from jaxvision.data import pp

# NYU toolbox RGB intrinsics at 640x480 (camera_params.m).
NYU_K = np.array(
    [[518.857901, 0, 325.582449], [0, 519.469611, 253.736166], [0, 0, 1]],
    np.float32,
)
# 7-Scenes: the commonly used Kinect intrinsics at 640x480.
SEVEN_SCENES_K = np.array(
    [[585.0, 0, 320.0], [0, 585.0, 240.0], [0, 0, 1]], np.float32
)


@dataclasses.dataclass
class Sequence:
  """Ordered frames of one video and what is known about them."""

  name: str
  images: list[str]
  intrinsics: np.ndarray
  depths: list[str] | None = None
  depth_scale: float = 1.0
  invalid_depth: float | None = None
  poses: np.ndarray | None = None
  grayscale: bool = False
  distortion: np.ndarray | None = None


def join(*parts: str) -> str:
  return os.path.join(os.path.expanduser(parts[0]), *parts[1:])


def _need(path: str, what: str) -> str:
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"{what}: expected {path}. See the layout in "
        "jaxvision/data/indoor_depth.py."
    )
  return path


def scale_intrinsics(
    k: np.ndarray, old_wh: tuple[int, int], new_wh: tuple[int, int]
) -> np.ndarray:
  """K after resizing: f' = f * W/W0, c' = (c + 0.5) * W/W0 - 0.5."""
  k = np.array(k, np.float32)
  sx, sy = new_wh[0] / old_wh[0], new_wh[1] / old_wh[1]
  k[0, 0] *= sx
  k[1, 1] *= sy
  k[0, 2] = (k[0, 2] + 0.5) * sx - 0.5
  k[1, 2] = (k[1, 2] + 0.5) * sy - 0.5
  return k


def undistort(image: np.ndarray, k: np.ndarray, dist: np.ndarray) -> np.ndarray:
  """Radial-tangential (k1, k2, p1, p2) undistortion with the same K.

  For every output pixel the distorted location is computed with the
  forward model and sampled bilinearly (no OpenCV needed).
  """
  h, w = image.shape[:2]
  k1, k2, p1, p2 = dist[:4]
  v, u = np.mgrid[0:h, 0:w].astype(np.float64)
  x, y = (u - k[0, 2]) / k[0, 0], (v - k[1, 2]) / k[1, 1]
  r2 = x * x + y * y
  radial = 1 + k1 * r2 + k2 * r2 * r2
  xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
  yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
  ud = np.clip(xd * k[0, 0] + k[0, 2], 0, w - 1)
  vd = np.clip(yd * k[1, 1] + k[1, 2], 0, h - 1)
  u0 = np.minimum(np.floor(ud).astype(int), w - 2)
  v0 = np.minimum(np.floor(vd).astype(int), h - 2)
  fu, fv = (ud - u0)[..., None], (vd - v0)[..., None]
  img = image.astype(np.float64).reshape(h, w, -1)
  out = (img[v0, u0] * (1 - fu) + img[v0, u0 + 1] * fu) * (1 - fv) + (
      img[v0 + 1, u0] * (1 - fu) + img[v0 + 1, u0 + 1] * fu
  ) * fv
  return out.reshape(image.shape).round().astype(image.dtype)


def read_image(
    seq: Sequence, index: int, size: tuple[int, int] | None = None
) -> np.ndarray:
  """uint8 [H, W, 3] frame, undistorted, optionally resized to (W, H)."""
  path = seq.images[index]
  image = pp.decode_file(path, "L" if seq.grayscale else "RGB")
  if seq.distortion is not None and np.any(seq.distortion):
    image = undistort(image, seq.intrinsics, seq.distortion)
  if seq.grayscale:
    image = np.repeat(image[..., None], 3, axis=-1)
  if size is not None and image.shape[1::-1] != tuple(size):
    image = np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))
  return image


def read_depth(seq: Sequence, index: int) -> np.ndarray:
  """float32 GT depth in metres (invalid pixels 0)."""
  if seq.depths is None:
    raise user_errors.InvalidValueError(
        f"Sequence {seq.name} has no ground-truth depth."
    )
  path = seq.depths[index]
  _need(path, f"GT depth of {seq.name} frame {index}")
  raw = np.load(path) if path.endswith(".npy") else pp.decode_file(path)
  depth = raw.astype(np.float32)
  if seq.invalid_depth is not None:
    depth[raw == seq.invalid_depth] = 0.0
  return depth * seq.depth_scale


def euroc_sequence(seq_dir: str) -> Sequence:
  """One EuRoC MAV sequence in the ASL folder layout (cam0)."""
  cam = join(seq_dir, "mav0", "cam0")
  rows = list(
      csv.reader(open(_need(join(cam, "data.csv"), "EuRoC cam0 index")))
  )
  rows = [r for r in rows if r and not r[0].startswith("#")]
  stamps = [int(r[0]) for r in rows]
  images = [join(cam, "data", r[1].strip()) for r in rows]
  with open(_need(join(cam, "sensor.yaml"), "EuRoC cam0 calibration")) as f:
    sensor = yaml.safe_load(f)
  fu, fv, cu, cv = sensor["intrinsics"]
  k = np.array([[fu, 0, cu], [0, fv, cv], [0, 0, 1]], np.float32)
  dist = np.asarray(
      sensor.get("distortion_coefficients", [0, 0, 0, 0]), np.float64
  )
  gt = join(seq_dir, "mav0", "state_groundtruth_estimate0", "data.csv")
  poses = _euroc_poses(gt, stamps) if os.path.exists(gt) else None
  depth_dir = join(seq_dir, "mav0", "depth")
  depths = (
      [join(depth_dir, f"{s}.npy") for s in stamps]
      if os.path.isdir(depth_dir)
      else None
  )
  return Sequence(
      os.path.basename(os.path.normpath(seq_dir)),
      images,
      k,
      depths=depths,
      poses=poses,
      grayscale=True,
      distortion=dist,
  )


def _euroc_poses(path: str, stamps: list[int]) -> np.ndarray:
  """Body-to-world poses at the nearest ground-truth timestamps."""
  data = np.loadtxt(path, delimiter=",", comments="#", ndmin=2)
  nearest = np.abs(data[:, :1] - np.asarray(stamps)[None]).argmin(0)
  poses = np.tile(np.eye(4), (len(stamps), 1, 1))
  for i, row in enumerate(data[nearest]):
    w, x, y, z = row[4:8] / np.linalg.norm(row[4:8])
    poses[i, :3, :3] = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    poses[i, :3, 3] = row[1:4]
  return poses


def _lines(path: str, what: str) -> list[str]:
  with open(_need(path, what)) as f:
    return [line.strip() for line in f if line.strip()]


def nyu_raw_sequences(root: str, split_file: str) -> list[Sequence]:
  """NYUv2 raw sequences (folders of frames) named in `split_file`."""
  seqs = []
  for name in _lines(split_file, "NYUv2 split file (one sequence per line)"):
    folder = _need(join(root, name), f"NYUv2 raw sequence {name}")
    frames = sorted(
        p
        for ext in ("ppm", "png", "jpg")
        for p in glob.glob(join(folder, f"*.{ext}"))
    )
    if not frames:
      raise FileNotFoundError(f"No .ppm/.png/.jpg frames in {folder}.")
    seqs.append(Sequence(name, frames, NYU_K.copy()))
  return seqs


def seven_scenes_sequences(root: str, scene: str, split: str) -> list[Sequence]:
  """7-Scenes sequences of `scene` in the official Train/Test split."""
  scene_dir = join(root, scene)
  split_name = {"train": "TrainSplit.txt", "test": "TestSplit.txt"}[split]
  seqs = []
  for line in _lines(join(scene_dir, split_name), "7-Scenes split file"):
    seq_dir = join(scene_dir, f"seq-{int(line.replace('sequence', '')):02d}")
    colors = sorted(glob.glob(join(seq_dir, "frame-*.color.png")))
    if not colors:
      raise FileNotFoundError(f"No frame-*.color.png in {seq_dir}.")
    stems = [c[: -len(".color.png")] for c in colors]
    poses = np.stack([np.loadtxt(s + ".pose.txt") for s in stems])
    seqs.append(
        Sequence(
            f"{scene}/{os.path.basename(seq_dir)}",
            colors,
            SEVEN_SCENES_K.copy(),
            depths=[s + ".depth.png" for s in stems],
            depth_scale=1e-3,
            invalid_depth=65535,
            poses=poses,
        )
    )
  return seqs


def scannet_scene(scene_dir: str) -> Sequence:
  """One exported ScanNet scene (color/depth/pose/intrinsic folders)."""
  colors = glob.glob(join(scene_dir, "color", "*.jpg"))
  if not colors:
    raise FileNotFoundError(
        f"No color/*.jpg in {scene_dir}; export the "
        ".sens file with ScanNet's SensReader first."
    )
  ids = sorted(int(os.path.splitext(os.path.basename(c))[0]) for c in colors)
  intrinsics = np.loadtxt(
      _need(
          join(scene_dir, "intrinsic", "intrinsic_color.txt"),
          "ScanNet colour intrinsics",
      )
  )[:3, :3]
  pose_files = [join(scene_dir, "pose", f"{i}.txt") for i in ids]
  poses = (
      np.stack([np.loadtxt(p) for p in pose_files])
      if all(map(os.path.exists, pose_files))
      else None
  )
  return Sequence(
      os.path.basename(os.path.normpath(scene_dir)),
      [join(scene_dir, "color", f"{i}.jpg") for i in ids],
      intrinsics.astype(np.float32),
      depths=[join(scene_dir, "depth", f"{i}.png") for i in ids],
      depth_scale=1e-3,
      poses=poses,
  )


def scannet_sequences(root: str, split_file: str) -> list[Sequence]:
  return [
      scannet_scene(join(root, name))
      for name in _lines(split_file, "ScanNet scene list")
  ]


class TripletSource:
  """Random-access (t - stride, t, t + stride) training triplets."""

  def __init__(
      self, sequences: list[Sequence], size: tuple[int, int], stride: int = 1
  ):
    self.sequences, self.size, self.stride = sequences, tuple(size), stride
    self.index = [
        (i, t)
        for i, seq in enumerate(sequences)
        for t in range(stride, len(seq.images) - stride)
    ]

  def __len__(self) -> int:
    return len(self.index)

  def __getitem__(self, index: int) -> dict[str, np.ndarray]:
    i, t = self.index[index]
    seq = self.sequences[i]
    frames = np.stack(
        [read_image(seq, t + o * self.stride, self.size) for o in (-1, 0, 1)]
    )
    native = Image.open(seq.images[t]).size
    return {
        "frames": frames,
        "K": scale_intrinsics(seq.intrinsics, native, self.size),
    }


class FrameSource:
  """Eval frames: image at the network size, GT depth at its own size."""

  def __init__(
      self, sequences: list[Sequence], size: tuple[int, int], every: int = 1
  ):
    self.sequences, self.size = sequences, tuple(size)
    self.index = [
        (i, t)
        for i, seq in enumerate(sequences)
        for t in range(0, len(seq.images), every)
    ]

  def __len__(self) -> int:
    return len(self.index)

  def __getitem__(self, index: int) -> dict[str, np.ndarray]:
    i, t = self.index[index]
    seq = self.sequences[i]
    return {"image": read_image(seq, t, self.size), "depth": read_depth(seq, t)}


class NyuLabeledSource:
  """The 654 NYUv2 test images from `nyu_depth_v2_labeled.mat`.

  `indices` are 0-based rows (the official test split list); all by default.
  """

  def __init__(
      self, path: str, size: tuple[int, int], indices: list[int] | None = None
  ):
    images, depths = _read_labeled_mat(_need(path, "NYUv2 labeled .mat"))
    if indices is not None:
      images, depths = images[indices], depths[indices]
    self.images, self.depths, self.size = images, depths, tuple(size)

  def __len__(self) -> int:
    return len(self.images)

  def __getitem__(self, index: int) -> dict[str, np.ndarray]:
    image = Image.fromarray(self.images[index]).resize(
        self.size, Image.BILINEAR
    )
    return {"image": np.asarray(image), "depth": self.depths[index]}


def _read_labeled_mat(path: str) -> tuple[np.ndarray, np.ndarray]:
  """images uint8 [N, H, W, 3] and depths float32 [N, H, W] in metres."""
  import scipy.io  # pylint: disable=g-import-not-at-top

  try:
    mat = scipy.io.loadmat(path, variable_names=["images", "depths"])
    images, depths = mat["images"], mat["depths"]
    # v5 files keep MATLAB's order: images [H, W, 3, N], depths [H, W, N].
    return (
        np.ascontiguousarray(images.transpose(3, 0, 1, 2)),
        np.ascontiguousarray(depths.transpose(2, 0, 1)).astype(np.float32),
    )
  except NotImplementedError:
    pass
  try:
    import h5py  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(
        f"{path} is a MATLAB v7.3 (HDF5) file: `pip install h5py` to read "
        "it, or evaluate on tfds nyu_depth_v2 (validation split)."
    ) from e
  with h5py.File(path, "r") as f:
    # HDF5 stores the transpose: images [N, 3, W, H], depths [N, W, H].
    images = np.asarray(f["images"]).transpose(0, 3, 2, 1)
    depths = np.asarray(f["depths"]).transpose(0, 2, 1).astype(np.float32)
  return np.ascontiguousarray(images), np.ascontiguousarray(depths)


def eval_source(kind: str, path: str, size: tuple[int, int], scene: str = ""):
  """A held-out depth source by kind: nyu_labeled, seven_scenes, scannet,
  euroc (path = the sequence folder, needs mav0/depth)."""
  if kind == "nyu_labeled":
    return NyuLabeledSource(path, size)
  if kind == "seven_scenes":
    return FrameSource(
        seven_scenes_sequences(path, scene, "test"), size, every=30
    )
  if kind == "scannet":
    return FrameSource([scannet_scene(path)], size)
  if kind == "euroc":
    return FrameSource([euroc_sequence(path)], size)
  raise user_errors.InvalidValueError(
      f"Unknown eval kind {kind!r}; valid: nyu_labeled, "
      "seven_scenes, scannet, euroc."
  )
