"""Anomaly-localisation datasets from local files: MNIST, UCSD Ped1, MVTec-AD.

Every loader returns a dict of numpy arrays for one split:
  image  float32 [N, H, W, C] in [0, 1], resized to the model size;
  mask   uint8 [N, H, W] in {0, 1}, pixel ground truth (nearest resize;
         all zeros for normal images);
  label  int32 [N], 1 = anomalous image.
Nothing is downloaded; a missing file or folder raises FileNotFoundError
saying what to put where.

Layouts (the official releases):
  MNIST      root/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
  UCSD Ped1  root/{Train,Test}/<clip>/NNN.tif; pixel masks in
             root/Test/<clip>_gt/NNN.bmp for a subset of test clips
  MVTec-AD   root/<category>/train/good/*.png, root/<category>/test/
             <defect>/*.png, root/<category>/ground_truth/<defect>/
             <name>_mask.png (no masks for test/good)
"""

import functools
import glob
import gzip
import os

import numpy as np
from PIL import Image

from jaxvision import user_errors
from jaxvision.data import pp

MVTEC_CATEGORIES = (
    "carpet",
    "grid",
    "leather",
    "tile",
    "wood",
    "bottle",
    "cable",
    "capsule",
    "hazelnut",
    "metal_nut",
    "pill",
    "screw",
    "toothbrush",
    "transistor",
    "zipper",
)
_IDX_TYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str) -> np.ndarray:
  """An idx-ubyte file (optionally gzipped), as in the MNIST release."""
  opener = gzip.open if path.endswith(".gz") else open
  with opener(path, "rb") as f:
    data = f.read()
  if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
    raise user_errors.InvalidValueError(
        f"{path} is not an idx file (bad magic number)."
    )
  ndim = data[3]
  shape = tuple(
      int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
  )
  dtype = np.dtype(_IDX_TYPES[data[2]])
  body = np.frombuffer(data, dtype, offset=4 + 4 * ndim)
  if body.size != int(np.prod(shape)):
    raise user_errors.InvalidValueError(
        f"{path}: header says shape {shape} but the file holds "
        f"{body.size} values (truncated?)."
    )
  return body.reshape(shape)


def _find(root: str, stem: str) -> str:
  for name in (stem, stem + ".gz"):
    path = os.path.join(root, name)
    if os.path.exists(path):
      return path
  raise FileNotFoundError(
      f"MNIST file {stem}[.gz] not found in {root}: put the four official "
      "idx files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
      "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzipped or not) "
      "there and set config.data.root."
  )


@functools.lru_cache(maxsize=4)
def mnist_one_class(root: str, digit: int, split: str) -> dict[str, np.ndarray]:
  """One-class MNIST: train = images of `digit`; test = all test images,
  anomalous when their digit differs (no pixel masks exist)."""
  if not 0 <= digit <= 9:
    raise user_errors.InvalidValueError(
        f"data.digit must be in 0..9, got {digit}."
    )
  prefix = {"train": "train", "test": "t10k"}.get(split)
  if prefix is None:
    raise user_errors.InvalidValueError(
        f"MNIST split must be 'train' or 'test', got {split!r}."
    )
  root = os.path.expanduser(root)
  images = read_idx(_find(root, f"{prefix}-images-idx3-ubyte"))
  labels = read_idx(_find(root, f"{prefix}-labels-idx1-ubyte"))
  if len(images) != len(labels):
    raise user_errors.InvalidValueError(
        f"{len(images)} MNIST images but {len(labels)} labels."
    )
  if split == "train":
    images, labels = images[labels == digit], labels[labels == digit]
  return {
      "image": images[..., None].astype(np.float32) / 255.0,
      "label": (labels != digit).astype(np.int32),
  }


def _load_image(
    path: str, size: tuple[int, int], mode: str, resample: int
) -> np.ndarray:
  pixels = pp.decode_file(path, mode)  # corrupt: skipped and counted
  return np.asarray(
      Image.fromarray(pixels).resize((size[1], size[0]), resample)
  )


def _images(paths, size, channels: int) -> np.ndarray:
  mode = "RGB" if channels == 3 else "L"
  out = np.stack([_load_image(p, size, mode, Image.BILINEAR) for p in paths])
  return out.reshape(out.shape[:3] + (channels,)).astype(np.float32) / 255.0


def _masks(paths, size) -> np.ndarray:
  return np.stack(
      [
          (_load_image(p, size, "L", Image.NEAREST) > 127).astype(np.uint8)
          for p in paths
      ]
  )


def _frames(folder: str) -> list[str]:
  return sorted(glob.glob(os.path.join(folder, "*.tif")))


@functools.lru_cache(maxsize=4)
def ucsd_ped1(root: str, split: str, size: int = 100) -> dict[str, np.ndarray]:
  """UCSD Ped1 frames resized to size x size gray.

  train: every frame of every Train clip (normal). test: the frames of the
  test clips that have a `<clip>_gt` mask folder; frames without ground
  truth are never counted as normal pixels (spec pitfall 10).
  """
  base = os.path.join(
      os.path.expanduser(root),
      {"train": "Train", "test": "Test"}.get(split, "?"),
  )
  if split not in ("train", "test"):
    raise user_errors.InvalidValueError(
        f"UCSD split must be 'train' or 'test', got {split!r}."
    )
  if not os.path.isdir(base):
    raise FileNotFoundError(
        f"{base} not found: set config.data.root to the UCSDped1 folder of "
        "the official release (with Train/Train001/*.tif and "
        "Test/Test001/*.tif, Test/TestNNN_gt/*.bmp)."
    )
  clips = sorted(
      d
      for d in os.listdir(base)
      if os.path.isdir(os.path.join(base, d)) and not d.endswith("_gt")
  )
  paths, masks = [], []
  for clip in clips:
    frames = _frames(os.path.join(base, clip))
    if split == "test":
      gt = sorted(glob.glob(os.path.join(base, clip + "_gt", "*.bmp")))
      if not gt:
        continue
      if len(gt) != len(frames):
        raise user_errors.InvalidValueError(
            f"{clip}: {len(frames)} frames but {len(gt)} masks "
            f"in {clip}_gt."
        )
      masks += gt
    paths += frames
  if not paths:
    raise FileNotFoundError(
        f"No .tif frames (with *_gt masks for test) " f"under {base}."
    )
  hw = (size, size)
  out = {"image": _images(paths, hw, 1)}
  if split == "test":
    out["mask"] = _masks(masks, hw)
    out["label"] = out["mask"].any(axis=(1, 2)).astype(np.int32)
  return out


@functools.lru_cache(maxsize=4)
def mvtec(
    root: str, category: str, split: str, size: int = 256
) -> dict[str, np.ndarray]:
  """One MVTec-AD category resized to size x size RGB.

  test/good images get all-zero masks and stay in the pixel metrics (spec
  pitfall 11).
  """
  if category not in MVTEC_CATEGORIES:
    raise user_errors.InvalidValueError(
        f"Unknown MVTec category {category!r}; one of " f"{MVTEC_CATEGORIES}."
    )
  base = os.path.join(os.path.expanduser(root), category)
  if not os.path.isdir(base):
    raise FileNotFoundError(
        f"{base} not found: set config.data.root to the folder holding the "
        f"extracted MVTec-AD categories ({category}/train/good/*.png, "
        f"{category}/test/<defect>/*.png, "
        f"{category}/ground_truth/<defect>/*_mask.png)."
    )
  hw = (size, size)
  if split == "train":
    paths = sorted(glob.glob(os.path.join(base, "train", "good", "*.png")))
    if not paths:
      raise FileNotFoundError(f"No PNGs in {base}/train/good.")
    return {"image": _images(paths, hw, 3)}
  if split != "test":
    raise user_errors.InvalidValueError(
        f"MVTec split must be 'train' or 'test', got {split!r}."
    )
  images, masks, labels = [], [], []
  for defect in sorted(os.listdir(os.path.join(base, "test"))):
    paths = sorted(glob.glob(os.path.join(base, "test", defect, "*.png")))
    if not paths:
      continue
    images.append(_images(paths, hw, 3))
    if defect == "good":
      masks.append(np.zeros((len(paths),) + hw, np.uint8))
    else:
      gt = [
          os.path.join(
              base,
              "ground_truth",
              defect,
              os.path.basename(p)[:-4] + "_mask.png",
          )
          for p in paths
      ]
      absent = [g for g in gt if not os.path.exists(g)]
      if absent:
        raise FileNotFoundError(
            f"Missing ground-truth masks, e.g. " f"{absent[0]}."
        )
      masks.append(_masks(gt, hw))
    labels.append(np.full(len(paths), defect != "good", np.int32))
  if not images:
    raise FileNotFoundError(f"No test PNGs under {base}/test.")
  return {
      "image": np.concatenate(images),
      "mask": np.concatenate(masks),
      "label": np.concatenate(labels),
  }
