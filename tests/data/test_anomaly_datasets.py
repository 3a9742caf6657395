"""Loaders on tiny files in the official formats (written by the tests)."""

import gzip
import os

import numpy as np
import pytest
from PIL import Image

from jaxvision.data import anomaly_datasets
from jaxvision.data import dsprites


def _write_idx(path, array, gz):
  header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
      int(s).to_bytes(4, "big") for s in array.shape
  )
  opener = gzip.open if gz else open
  with opener(path, "wb") as f:
    f.write(header + array.astype(np.uint8).tobytes())


def test_mnist_idx_one_class(tmp_path):
  rng = np.random.default_rng(0)
  for prefix, n, gz in (("train", 12, True), ("t10k", 6, False)):
    images = rng.integers(0, 256, (n, 28, 28))
    labels = np.arange(n) % 3
    suffix = ".gz" if gz else ""
    _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte{suffix}", images, gz)
    _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte{suffix}", labels, gz)
  train = anomaly_datasets.mnist_one_class(str(tmp_path), 1, "train")
  assert train["image"].shape == (4, 28, 28, 1)
  assert train["image"].max() <= 1.0 and not train["label"].any()
  test = anomaly_datasets.mnist_one_class(str(tmp_path), 1, "test")
  np.testing.assert_array_equal(test["label"], [1, 0, 1, 1, 0, 1])


def test_mnist_errors(tmp_path):
  with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
    anomaly_datasets.mnist_one_class(str(tmp_path), 1, "train")
  (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
  with pytest.raises(ValueError, match="magic"):
    anomaly_datasets.read_idx(str(tmp_path / "bad"))


def test_ucsd_ped1_uses_only_clips_with_ground_truth(tmp_path):
  rng = np.random.default_rng(0)
  root = tmp_path / "UCSDped1"

  def frames(folder, n, ext, mask=False):
    os.makedirs(folder)
    for i in range(n):
      data = np.zeros((158, 238), np.uint8)
      if mask:
        data[40:60, 100:140] = 255 if i else 0
      else:
        data = rng.integers(0, 256, (158, 238)).astype(np.uint8)
      Image.fromarray(data).save(folder / f"{i + 1:03d}.{ext}")

  frames(root / "Train" / "Train001", 3, "tif")
  frames(root / "Test" / "Test001", 2, "tif")  # no ground truth: skipped
  frames(root / "Test" / "Test002", 2, "tif")
  frames(root / "Test" / "Test002_gt", 2, "bmp", mask=True)
  train = anomaly_datasets.ucsd_ped1(str(root), "train", 100)
  assert train["image"].shape == (3, 100, 100, 1)
  test = anomaly_datasets.ucsd_ped1(str(root), "test", 100)
  assert test["image"].shape == (2, 100, 100, 1)
  assert test["mask"].shape == (2, 100, 100)
  np.testing.assert_array_equal(test["label"], [0, 1])
  assert set(np.unique(test["mask"])) <= {0, 1}
  with pytest.raises(FileNotFoundError, match="UCSDped1"):
    anomaly_datasets.ucsd_ped1(str(tmp_path / "nowhere"), "train")


def test_mvtec_layout(tmp_path):
  base = tmp_path / "bottle"
  rng = np.random.default_rng(0)

  def png(path, shape, value=None):
    os.makedirs(path.parent, exist_ok=True)
    data = (
        rng.integers(0, 256, shape) if value is None else np.full(shape, value)
    ).astype(np.uint8)
    Image.fromarray(data).save(path)

  png(base / "train" / "good" / "000.png", (40, 40, 3))
  png(base / "train" / "good" / "001.png", (40, 40, 3))
  png(base / "test" / "good" / "000.png", (40, 40, 3))
  png(base / "test" / "broken_large" / "000.png", (40, 40, 3))
  png(base / "ground_truth" / "broken_large" / "000_mask.png", (40, 40), 255)
  train = anomaly_datasets.mvtec(str(tmp_path), "bottle", "train", 32)
  assert train["image"].shape == (2, 32, 32, 3)
  test = anomaly_datasets.mvtec(str(tmp_path), "bottle", "test", 32)
  np.testing.assert_array_equal(test["label"], [1, 0])  # sorted defects
  assert test["mask"][0].all() and not test["mask"][1].any()
  with pytest.raises(ValueError, match="Unknown MVTec category"):
    anomaly_datasets.mvtec(str(tmp_path), "bottles", "train")


def test_dsprites_npz_and_factor_sampler(tmp_path):
  sizes = (1, 3, 2, 2, 4, 4)
  classes = np.stack(
      np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1
  ).reshape(-1, 6)
  imgs = np.zeros((len(classes), 64, 64), np.uint8)
  imgs[np.arange(len(classes)), classes[:, 4], classes[:, 5]] = 1
  np.savez(
      tmp_path / dsprites.DSPRITES_FILE, imgs=imgs, latents_classes=classes
  )
  grid = dsprites.sampler(str(tmp_path))
  assert grid.factor_sizes == sizes
  rng = np.random.default_rng(0)
  images = grid.sample_fixed(4, 2, 10, rng)
  assert images.shape == (10, 64, 64, 1)
  assert images[:, 2].sum() == 10  # x index 2 fixed -> pixel row 2 is set
  picked, factors = grid.sample(5, rng)
  for image, f in zip(picked, factors):
    assert image[f[4], f[5], 0] == 1
  with pytest.raises(FileNotFoundError, match=dsprites.DSPRITES_FILE):
    dsprites.load(str(tmp_path / "missing"))
