"""Indoor depth readers on tiny files written in each dataset's layout."""

import numpy as np
from PIL import Image
import pytest
import scipy.io

from jaxvision.data import indoor_depth


def _png(path, array):
  path.parent.mkdir(parents=True, exist_ok=True)
  Image.fromarray(array).save(path)


def test_euroc_asl_layout(tmp_path):
  cam = tmp_path / "V1_01" / "mav0" / "cam0"
  stamps = [1000, 2000, 3000, 4000]
  rows = ["#timestamp [ns],filename"]
  for i, s in enumerate(stamps):
    _png(cam / "data" / f"{s}.png", np.full((12, 16), 40 * i, np.uint8))
    rows.append(f"{s},{s}.png")
  (cam / "data.csv").write_text("\n".join(rows) + "\n")
  (cam / "sensor.yaml").write_text(
      "sensor_type: camera\nresolution: [16, 12]\n"
      "intrinsics: [10.0, 11.0, 7.5, 5.5]\n"
      "distortion_model: radial-tangential\n"
      "distortion_coefficients: [0.0, 0.0, 0.0, 0.0]\n"
  )
  gt = tmp_path / "V1_01" / "mav0" / "state_groundtruth_estimate0"
  gt.mkdir(parents=True)
  (gt / "data.csv").write_text(
      "#t,px,py,pz,qw,qx,qy,qz\n"
      + "".join(f"{s + 5},{i},0,0,1,0,0,0\n" for i, s in enumerate(stamps))
  )
  seq = indoor_depth.euroc_sequence(str(tmp_path / "V1_01"))
  assert seq.grayscale and len(seq.images) == 4
  np.testing.assert_allclose(seq.intrinsics[0], [10.0, 0, 7.5])
  np.testing.assert_allclose(seq.poses[2, :3, 3], [2, 0, 0])
  source = indoor_depth.TripletSource([seq], size=(8, 6))
  assert len(source) == 2
  ex = source[0]
  assert ex["frames"].shape == (3, 6, 8, 3) and ex["frames"].dtype == np.uint8
  assert ex["frames"][0].mean() == 0 and ex["frames"][2, 0, 0, 0] == 80
  # Half-pixel convention: cx' = (7.5 + 0.5) * 0.5 - 0.5.
  np.testing.assert_allclose(ex["K"][0], [5.0, 0, 3.5])


def test_undistort_identity_without_distortion_and_moves_with_it():
  image = np.random.default_rng(0).integers(0, 255, (10, 12), np.uint8)
  k = np.array([[10.0, 0, 5.5], [0, 10.0, 4.5], [0, 0, 1]])
  same = indoor_depth.undistort(image, k, np.zeros(4))
  np.testing.assert_array_equal(same, image)
  moved = indoor_depth.undistort(image, k, np.array([0.3, 0, 0, 0]))
  assert (
      moved[5, 6] == image[5, 6] or abs(int(moved[5, 6]) - int(image[5, 6])) < 3
  )
  assert not np.array_equal(moved, image)


def test_seven_scenes_layout(tmp_path):
  seq = tmp_path / "chess" / "seq-02"
  for i in range(3):
    _png(seq / f"frame-{i:06d}.color.png", np.full((6, 8, 3), i, np.uint8))
    depth = np.full((6, 8), 1500, np.uint16)
    depth[0, 0] = 65535
    _png(seq / f"frame-{i:06d}.depth.png", depth)
    np.savetxt(seq / f"frame-{i:06d}.pose.txt", np.eye(4))
  (tmp_path / "chess" / "TestSplit.txt").write_text("sequence2\n")
  seqs = indoor_depth.seven_scenes_sequences(str(tmp_path), "chess", "test")
  assert len(seqs) == 1 and len(seqs[0].images) == 3
  depth = indoor_depth.read_depth(seqs[0], 1)
  assert depth[0, 0] == 0.0 and depth[1, 1] == pytest.approx(1.5)
  source = indoor_depth.eval_source(
      "seven_scenes", str(tmp_path), (4, 3), scene="chess"
  )
  assert len(source) == 1 and source[0]["image"].shape == (3, 4, 3)
  assert source[0]["depth"].shape == (6, 8)


def test_scannet_export_layout(tmp_path):
  scene = tmp_path / "scene0000_00"
  for i in range(3):
    (scene / "color").mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((6, 8, 3), 9, np.uint8)).save(
        scene / "color" / f"{i}.jpg"
    )
    _png(scene / "depth" / f"{i}.png", np.full((3, 4), 2000, np.uint16))
    (scene / "pose").mkdir(exist_ok=True)
    np.savetxt(scene / "pose" / f"{i}.txt", np.eye(4))
  (scene / "intrinsic").mkdir()
  np.savetxt(
      scene / "intrinsic" / "intrinsic_color.txt",
      np.array(
          [[5.0, 0, 3.5, 0], [0, 5.0, 2.5, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
      ),
  )
  (tmp_path / "train.txt").write_text("scene0000_00\n")
  seqs = indoor_depth.scannet_sequences(
      str(tmp_path), str(tmp_path / "train.txt")
  )
  assert seqs[0].poses.shape == (3, 4, 4)
  assert indoor_depth.read_depth(seqs[0], 0)[0, 0] == pytest.approx(2.0)
  assert len(indoor_depth.TripletSource(seqs, (8, 6))) == 1


def test_nyu_raw_and_labeled_mat(tmp_path):
  for i in range(4):
    _png(
        tmp_path / "raw" / "bedroom_0001" / f"r-{i:03d}.png",
        np.full((6, 8, 3), i, np.uint8),
    )
  (tmp_path / "split.txt").write_text("bedroom_0001\n")
  seqs = indoor_depth.nyu_raw_sequences(
      str(tmp_path / "raw"), str(tmp_path / "split.txt")
  )
  assert len(indoor_depth.TripletSource(seqs, (8, 6), stride=1)) == 2
  images = np.random.default_rng(0).integers(0, 255, (6, 8, 3, 2), np.uint8)
  depths = np.random.default_rng(1).uniform(0.5, 9, (6, 8, 2))
  scipy.io.savemat(
      tmp_path / "labeled.mat", {"images": images, "depths": depths}
  )
  source = indoor_depth.eval_source(
      "nyu_labeled", str(tmp_path / "labeled.mat"), (8, 6)
  )
  assert len(source) == 2
  np.testing.assert_array_equal(source[1]["image"], images[..., 1])
  np.testing.assert_allclose(source[1]["depth"], depths[..., 1], rtol=1e-6)


def test_missing_files_name_the_expected_path(tmp_path):
  with pytest.raises(FileNotFoundError, match="data.csv"):
    indoor_depth.euroc_sequence(str(tmp_path / "MH_01"))
  with pytest.raises(FileNotFoundError, match="split file"):
    indoor_depth.nyu_raw_sequences(str(tmp_path), str(tmp_path / "no.txt"))
