"""Face loaders on tiny files in the real formats (PNG maps, CSV lights)."""

import numpy as np
from PIL import Image
import pytest

from jaxvision.data import faces


def _png(path, array):
  Image.fromarray(np.asarray(array, np.uint8)).save(path)


def test_sfs_faces_csv(tmp_path):
  rng = np.random.default_rng(0)
  for name in ("img", "normal", "albedo"):
    _png(tmp_path / f"{name}.png", rng.integers(0, 256, (4, 4, 3)))
  _png(tmp_path / "mask.png", np.full((4, 4), 255))
  light = np.arange(27) / 10
  (tmp_path / "train.csv").write_text(
      "image,mask,normal,albedo,"
      + ",".join(f"l{i}" for i in range(27))
      + "\nimg.png,mask.png,normal.png,albedo.png,"
      + ",".join(map(str, light))
      + "\n"
  )
  source = faces.SfSFaces(str(tmp_path), str(tmp_path / "train.csv"))
  record = source[0]
  assert len(source) == 1 and record["image"].dtype == np.uint8
  np.testing.assert_allclose(record["light"], light, rtol=1e-6)
  assert record["mask"].shape == (4, 4, 1) and record["mask"].max() == 1.0
  assert 0 <= record["normal"].min() and record["normal"].max() <= 1


def test_sfs_faces_bad_row(tmp_path):
  (tmp_path / "bad.csv").write_text("a.png,b.png,c.png,d.png,1,2\n")
  with pytest.raises(ValueError, match="27 light values"):
    faces.SfSFaces(str(tmp_path), str(tmp_path / "bad.csv"))


def test_photoface_and_missing_files(tmp_path):
  _png(tmp_path / "s1_align.png", np.zeros((4, 4, 3)))
  normal = np.zeros((4, 4, 3))
  normal[..., 2] = 255
  normal[..., :2] = 128
  _png(tmp_path / "s1_normal.png", normal)
  _png(tmp_path / "s1_mask.png", np.full((4, 4), 255))
  record = faces.Photoface(str(tmp_path))[0]
  np.testing.assert_allclose(record["normal"][0, 0], [128 / 255, 128 / 255, 1])
  assert faces.validation_ids([str(i) for i in range(20)]) == ["17", "18", "19"]
  with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
    faces.Photoface(str(tmp_path / "nope"))
