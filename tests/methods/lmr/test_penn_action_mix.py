"""Penn Action (official .mat labels) and PoseTrack (official JSON), each
with backbone features, and VIBE's 2D/3D batch mix, on tiny files written in
those formats."""

import json
import types

import numpy as np
import pytest
import scipy.io

from jaxvision import config_lib
from jaxvision import user_errors
from jaxvision.data import penn_action
from jaxvision.data import posetrack
from jaxvision.methods.lmr import data

FEATURES = 4


def _penn_video(root, video, train, frames=3):
  """A Penn Action video; frame 0 spans the box (10, 20)-(30, 60)."""
  x = np.tile(np.linspace(10, 30, 13), (frames, 1))
  y = np.tile(np.linspace(20, 60, 13), (frames, 1))
  x[:, 0], y[:, 0] = 20, 20  # head at the top centre
  x[:, 12], y[:, 12] = 30, 60  # right ankle at the bottom right
  x[:, 1] = 10  # left shoulder at the left edge
  visibility = np.ones((frames, 13))
  visibility[-1, 1:] = 0  # the last frame sees the head only
  (root / "pennaction" / "labels").mkdir(parents=True, exist_ok=True)
  (root / "pennaction" / "features").mkdir(parents=True, exist_ok=True)
  scipy.io.savemat(
      root / "pennaction" / "labels" / f"{video}.mat",
      {
          "action": "baseball_pitch",
          "pose": "side",
          "x": x,
          "y": y,
          "visibility": visibility,
          "train": train,
          "nframes": frames,
          "bbox": np.zeros((frames, 4)),
          "dimensions": [480, 640, frames],
      },
  )
  np.save(
      root / "pennaction" / "features" / f"{video}.npy",
      np.full((frames, FEATURES), 1.0 + int(video), np.float32),
  )


def test_penn_action_joints_in_vibes_crop_by_hand(tmp_path):
  _penn_video(tmp_path, "0001", train=1)
  _penn_video(tmp_path, "0002", train=-1)
  train = penn_action.load_split(str(tmp_path), "train")
  assert list(train) == ["0001"]
  seq = train["0001"]
  # Centre (20, 40), side 1.2 x 40 = 48: x' = 2 (x - 20) / 48.
  lsp = seq["kp2d"][0]
  np.testing.assert_allclose(lsp[13], [0, -40 / 48, 1], atol=1e-6)  # head
  np.testing.assert_allclose(lsp[0], [20 / 48, 40 / 48, 1], atol=1e-6)
  np.testing.assert_array_equal(lsp[12], [0, 0, 0])  # no neck in Penn
  np.testing.assert_array_equal(seq["valid"], [True, True, False])
  assert not seq["kp2d"][2].any() and not seq["has_smpl"]
  assert not seq["kp3d"].any() and seq["action"] == "baseball_pitch"
  assert list(penn_action.load_split(str(tmp_path), "test")) == ["0002"]


def test_penn_action_errors_name_the_file(tmp_path):
  with pytest.raises(user_errors.MissingInputError, match="labels"):
    penn_action.load_split(str(tmp_path), "train")
  _penn_video(tmp_path, "0001", train=1)
  (tmp_path / "pennaction" / "features" / "0001.npy").unlink()
  with pytest.raises(user_errors.MissingInputError, match="0001.npy"):
    penn_action.load_split(str(tmp_path), "train")
  with pytest.raises(user_errors.InvalidValueError, match="splits"):
    penn_action.load_split(str(tmp_path), "val")


def test_posetrack_tracks_split_at_gaps_by_hand(tmp_path):
  folder = tmp_path / "posetrack"
  (folder / "annotations" / "train").mkdir(parents=True)
  (folder / "features").mkdir()

  def person(dx):
    kps = np.zeros((17, 3))
    kps[2] = [20 + dx, 20, 1]  # head_top: LSP head
    kps[1] = [20 + dx, 30, 1]  # head_bottom: LSP neck
    kps[16] = [30 + dx, 60, 1]  # right ankle
    kps[5] = [10 + dx, 35, 1]  # left shoulder
    return kps.ravel().tolist()

  images = [
      {"id": 100 + f, "frame_id": f, "is_labeled": True} for f in (3, 0, 1, 2)
  ] + [{"id": 99, "is_labeled": False}]
  annotations = [
      {"image_id": 100 + f, "track_id": 0, "keypoints": person(f)}
      for f in (0, 1, 3)
  ]
  annotations += [
      {"image_id": 100 + f, "track_id": 4, "keypoints": person(0)}
      for f in (0, 1)
  ]
  (folder / "annotations" / "train" / "000001_bonn.json").write_text(
      json.dumps({"images": images, "annotations": annotations})
  )
  np.save(
      folder / "features" / "000001_bonn_0.npy",
      np.arange(3 * FEATURES, dtype=np.float32).reshape(3, FEATURES),
  )
  np.save(
      folder / "features" / "000001_bonn_4.npy",
      np.zeros((2, FEATURES), np.float32),
  )
  seqs = posetrack.load_split(str(tmp_path), "train")
  # Track 0 misses frame 2: two runs, frames (0, 1) and (3,).
  assert sorted(seqs) == [
      "000001_bonn_0_0",
      "000001_bonn_0_1",
      "000001_bonn_4_0",
  ]
  first, second = seqs["000001_bonn_0_0"], seqs["000001_bonn_0_1"]
  np.testing.assert_array_equal(first["features"][:, 0], [0, FEATURES])
  np.testing.assert_array_equal(second["features"][:, 0], [2 * FEATURES])
  # Box (10, 20)-(30, 60) shifted by dx: centre (20 + dx, 40), side 48.
  kp = first["kp2d"][1]
  np.testing.assert_allclose(kp[13], [0, -40 / 48, 1], atol=1e-6)  # head
  np.testing.assert_allclose(kp[12], [0, -20 / 48, 1], atol=1e-6)  # neck
  np.testing.assert_allclose(kp[0], [20 / 48, 40 / 48, 1], atol=1e-6)
  assert first["valid"].all() and not first["kp3d"].any()
  (folder / "features" / "000001_bonn_4.npy").unlink()
  with pytest.raises(user_errors.MissingInputError, match="bonn_4.npy"):
    posetrack.load_split(str(tmp_path), "train")


def _h36m(root, name, frames=6):
  folder = root / "h36m" / "train"
  folder.mkdir(parents=True, exist_ok=True)
  np.savez(
      folder / f"{name}.npz",
      features=-np.ones((frames, FEATURES), np.float32),
      kp2d=np.ones((frames, 14, 3), np.float32),
      kp3d=np.ones((frames, 14, 3), np.float32),
  )


def _config(root, *extra):
  return config_lib.load_config(
      "configs/lmr/lmr.py:T=4",
      [
          f"data.root={root}",
          f"data.feature_dim={FEATURES}",
          "data.seq_len=2",
          "data.train=('h36m',)",
          "data.train_2d=('pennaction',)",
          "stages.0.batch_size=5",
          *extra,
      ],
  )


def test_batches_mix_2d_and_3d_windows_as_vibe(tmp_path):
  assert data.batch_split(32, 0.6) == (19, 13)
  _penn_video(tmp_path, "0001", train=1, frames=4)
  _h36m(tmp_path, "s1")
  config = _config(tmp_path)
  assert tuple(config_lib.load_config("configs/lmr/lmr.py").data.train_2d) == (
      "pennaction",
      "posetrack",
  )
  ctx = types.SimpleNamespace(config=config, stage=config.stages[0])
  it = data.make_train_data(ctx, seed=0)
  batch = next(it)
  assert batch["features"].shape == (5, 2, FEATURES)
  # int(5 x 0.6) = 3 Penn Action windows first (no 3D, no SMPL), then 2 H36M.
  np.testing.assert_array_equal(batch["features"][:, 0, 0], [2, 2, 2, -1, -1])
  np.testing.assert_array_equal(batch["w_3d"], [False] * 3 + [True] * 2)
  assert not batch["w_smpl"].any()
  state = it.get_state()
  following = next(it)
  it.set_state(state)
  np.testing.assert_array_equal(next(it)["features"], following["features"])
  only_3d = data.make_train_data(
      types.SimpleNamespace(
          config=_config(tmp_path, "data.train_2d=()"), stage=config.stages[0]
      ),
      seed=0,
  )
  assert next(only_3d)["w_3d"].all()


def test_mix_config_errors(tmp_path):
  _penn_video(tmp_path, "0001", train=1, frames=4)
  _h36m(tmp_path, "s1")
  invalid = user_errors.InvalidValueError
  for override, error in (
      ("data.train_2d=('insta',)", user_errors.UnknownNameError),
      ("data.ratio_2d=1.0", invalid),
      ("data.feature_dim=8", invalid),
  ):
    config = _config(tmp_path, override)
    with pytest.raises(error):
      data.make_train_data(
          types.SimpleNamespace(config=config, stage=config.stages[0]), seed=0
      )
  assert not config_lib.load_config("configs/lmr/lmr.py:no_2d").data.train_2d
