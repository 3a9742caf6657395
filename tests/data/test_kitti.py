"""KITTI / vKITTI / Make3D readers on tiny files in the real formats."""

import numpy as np
from PIL import Image
import pytest
import scipy.io

from jaxvision.data import kitti

P2 = [721.5, 0, 609.6, 44.86, 0, 721.5, 172.9, 0.2164, 0, 0, 1, 0.002746]
P3 = [721.5, 0, 609.6, -339.5, 0, 721.5, 172.9, 2.2e-3, 0, 0, 1, 2.7e-3]


def _calib(directory, width=8, height=6):
  directory.mkdir(parents=True, exist_ok=True)
  f, c = 4.0, (width / 2, height / 2)
  p2 = [f, 0, c[0], 0, 0, f, c[1], 0, 0, 0, 1, 0]
  (directory / "calib_cam_to_cam.txt").write_text(
      "calib_time: 09-Jan-2012 13:57:47\n"
      f"S_rect_02: {width} {height}\n"
      "R_rect_00: 1 0 0 0 1 0 0 0 1\n"
      f"P_rect_02: {' '.join(map(str, p2))}\n"
      f"P_rect_03: {' '.join(map(str, P3))}\n"
  )
  # Velodyne x forward, y left, z up -> camera x right, y down, z forward.
  (directory / "calib_velo_to_cam.txt").write_text(
      "R: 0 -1 0 0 0 -1 1 0 0\nT: 0 0 0\n"
  )


def test_focal_baseline_matches_formula():
  calib = {"P_rect_02": np.array(P2), "P_rect_03": np.array(P3)}
  expected = 721.5 * (-339.5 / -721.5 - 44.86 / -721.5)
  assert kitti.focal_baseline(calib) == pytest.approx(expected)
  assert kitti.focal_baseline(calib) == pytest.approx(384.36, abs=0.01)


def test_velodyne_projection_keeps_nearest(tmp_path):
  _calib(tmp_path / "calib")
  # Two points on the optical axis (centre pixel) at 5 m and 3 m, one behind.
  points = np.array([[5, 0, 0, 1], [3, 0, 0, 1], [-4, 0, 0, 1]], np.float32)
  points.tofile(tmp_path / "scan.bin")
  depth = kitti.velodyne_depth(
      str(tmp_path / "calib"), str(tmp_path / "scan.bin")
  )
  assert depth.shape == (6, 8)
  # u = round(4) - 1 = 3, v = round(3) - 1 = 2.
  assert depth[2, 3] == 3.0 and np.count_nonzero(depth) == 1


def test_kitti_stereo_records_and_depth_png(tmp_path):
  _calib(tmp_path / "2011_09_26")
  for name in ("l.png", "r.png"):
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(tmp_path / name)
  gt = np.array([[0, 256 * 10], [512, 65535]], np.uint16)
  Image.fromarray(gt).save(tmp_path / "gt.png")
  (tmp_path / "list.txt").write_text("l.png r.png 2011_09_26 gt.png\n")
  source = kitti.KittiStereo(
      str(tmp_path), str(tmp_path / "list.txt"), gt="png"
  )
  record = source[0]
  assert record["image"].shape == record["right"].shape == (6, 8, 3)
  assert record["fb"] == pytest.approx(4.0 * (-339.5 / -721.5))
  np.testing.assert_allclose(record["depth"], [[0, 10], [2, 65535 / 256]])
  with pytest.raises(ValueError, match="fewer than 4 columns"):
    (tmp_path / "short.txt").write_text("l.png r.png 2011_09_26\n")
    kitti.KittiStereo(str(tmp_path), str(tmp_path / "short.txt"), gt="png")


def test_vkitti_depth_in_centimetres(tmp_path):
  rgb = tmp_path / kitti.VKITTI_RGB / "0001" / "clone"
  dep = tmp_path / kitti.VKITTI_DEPTH / "0001" / "clone"
  rgb.mkdir(parents=True)
  dep.mkdir(parents=True)
  Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(rgb / "00000.png")
  Image.fromarray(np.array([[150, 8000, 65535]] * 2, np.uint16)).save(
      dep / "00000.png"
  )
  record = kitti.VKitti(str(tmp_path))[0]
  np.testing.assert_allclose(record["depth"][0], [1.5, 80, 655.35])


def test_make3d_mat(tmp_path):
  (tmp_path / "Test134").mkdir()
  (tmp_path / "Gridlaserdata").mkdir()
  Image.fromarray(np.zeros((8, 6, 3), np.uint8)).save(
      tmp_path / "Test134" / "img-abc.jpg"
  )
  grid = np.zeros((55, 305, 4))
  grid[..., 3] = 12.5
  scipy.io.savemat(
      tmp_path / "Gridlaserdata" / "depth_sph_corr-abc.mat",
      {"Position3DGrid": grid},
  )
  record = kitti.Make3D(str(tmp_path))[0]
  assert record["depth"].shape == (55, 305)
  assert np.all(record["depth"] == 12.5)


def test_missing_root_says_what_to_put_where(tmp_path):
  with pytest.raises(FileNotFoundError, match="vkitti_1.3.1_rgb"):
    kitti.VKitti(str(tmp_path))
