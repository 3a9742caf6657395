"""Damaged files in the KITTI / vKITTI / Make3D readers: skipped and counted.

A truncated PNG used to raise PIL's error out of the pipeline; now the
reader raises pp.CorruptRecordError naming the file, so the pipeline skips
the record and counts it (or stops naming it with skip_corrupt=False).
"""

import numpy as np
from PIL import Image
import pytest
import scipy.io

from jaxvision.data import kitti
from jaxvision.data import pipeline
from jaxvision.data import pp
from tests.data import test_kitti


def _png(path, shape=(24, 32, 3), dtype=np.uint8, seed=0):
  info = np.iinfo(dtype)
  pixels = np.random.default_rng(seed).integers(0, info.max, shape, dtype)
  Image.fromarray(pixels).save(path)


def _truncate(path):
  path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _kitti(tmp_path, n=4):
  test_kitti._calib(tmp_path / "2011_09_26", width=32, height=24)  # pylint: disable=protected-access
  lines = []
  for i in range(n):
    _png(tmp_path / f"l{i}.png", seed=i)
    _png(tmp_path / f"r{i}.png", seed=10 + i)
    lines.append(f"l{i}.png r{i}.png 2011_09_26\n")
  (tmp_path / "list.txt").write_text("".join(lines))
  return kitti.KittiStereo(str(tmp_path), str(tmp_path / "list.txt"))


def _batches(source, skip_corrupt):
  it = pipeline.make_iterator(
      source,
      pp_fn=lambda x, rng: x,
      global_batch_size=1,
      seed=0,
      num_epochs=1,
      shuffle=False,
      skip_corrupt=skip_corrupt,
  )
  return it, list(it)


def test_truncated_kitti_png_is_skipped_and_counted(tmp_path):
  source = _kitti(tmp_path)
  _truncate(tmp_path / "r2.png")
  it, batches = _batches(source, skip_corrupt=True)
  assert len(batches) == 3 and it.num_corrupt == 1
  with pytest.raises(pp.CorruptRecordError, match=f"{tmp_path}/r2.png"):
    _batches(source, skip_corrupt=False)


def test_not_an_image_is_corrupt_not_a_crash(tmp_path):
  source = _kitti(tmp_path, n=1)
  (tmp_path / "l0.png").write_bytes(b"not a png at all")
  with pytest.raises(
      pp.CorruptRecordError, match="cannot decode image .*l0.png: Unidentified"
  ):
    source[0]  # pylint: disable=pointless-statement


def test_truncated_vkitti_depth_names_the_file(tmp_path):
  rgb = tmp_path / kitti.VKITTI_RGB / "0001" / "clone"
  dep = tmp_path / kitti.VKITTI_DEPTH / "0001" / "clone"
  rgb.mkdir(parents=True)
  dep.mkdir(parents=True)
  _png(rgb / "00000.png")
  _png(dep / "00000.png", shape=(24, 32), dtype=np.uint16)
  _truncate(dep / "00000.png")
  with pytest.raises(pp.CorruptRecordError, match=str(dep / "00000.png")):
    kitti.VKitti(str(tmp_path))[0]  # pylint: disable=expression-not-assigned


def test_garbled_make3d_mat_names_the_file(tmp_path):
  (tmp_path / "Test134").mkdir()
  (tmp_path / "Gridlaserdata").mkdir()
  _png(tmp_path / "Test134" / "img-abc.jpg")
  mat = tmp_path / "Gridlaserdata" / "depth_sph_corr-abc.mat"
  scipy.io.savemat(mat, {"Position3DGrid": np.zeros((55, 305, 4))})
  _truncate(mat)
  with pytest.raises(pp.CorruptRecordError, match=str(mat)):
    kitti.Make3D(str(tmp_path))[0]  # pylint: disable=expression-not-assigned


def test_decode_file_shared_by_the_local_loaders(tmp_path):
  # CelebA, RaFD, faces, anomaly sets, indoor depth and video frames read
  # their files with pp.decode_file too.
  _png(tmp_path / "a.png")
  assert pp.decode_file(str(tmp_path / "a.png"), "L").shape == (24, 32)
  _truncate(tmp_path / "a.png")
  with pytest.raises(pp.CorruptRecordError, match=f"{tmp_path}/a.png"):
    pp.decode_file(str(tmp_path / "a.png"), "RGB")
  with pytest.raises(FileNotFoundError):
    pp.decode_file(str(tmp_path / "missing.png"))
