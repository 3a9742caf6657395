"""The preprocessed H36M / 3DPW / MPI-INF-3DHP reader on tiny files."""

import numpy as np
import pytest

from jaxvision.data import human_mesh


def _write(root, dataset, split, name, length, smpl=True, **extra):
  directory = root / dataset / split
  directory.mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(length)
  arrays = dict(
      features=rng.normal(size=(length, 4)).astype(np.float32),
      kp2d=rng.normal(size=(length, 14, 3)).astype(np.float32),
      kp3d=rng.normal(size=(length, 14, 3)).astype(np.float32),
  )
  if smpl:
    arrays.update(pose=rng.normal(size=(length, 72)), shape=np.ones(10))
  np.savez(directory / f"{name}.npz", **arrays, **extra)


def test_windows_stay_inside_sequences(tmp_path):
  _write(tmp_path, "3dpw", "test", "a", 10)
  _write(tmp_path, "3dpw", "test", "b", 7, smpl=False)
  seqs = human_mesh.load_split(str(tmp_path), "3dpw", "test")
  w = human_mesh.make_windows(seqs, seq_len=4, stride=4)
  # a: frames 0-3, 4-7 (tail 8-9 dropped); b: 0-3 (tail dropped).
  assert list(w["seq"]) == ["a", "a", "b"]
  np.testing.assert_array_equal(w["frame"][1], [4, 5, 6, 7])
  np.testing.assert_array_equal(w["features"][2], seqs["b"]["features"][:4])
  assert list(w["w_smpl"]) == [True, True, False]
  assert w["shape"].shape == (3, 4, 10) and w["frame_mask"].all()


def test_pad_tail_masks_padding_and_invalid_frames(tmp_path):
  valid = np.ones(10, bool)
  valid[1] = False
  _write(tmp_path, "mpi_inf_3dhp", "test", "TS1", 10, smpl=False, valid=valid)
  seqs = human_mesh.load_split(str(tmp_path), "mpi_inf_3dhp", "test")
  w = human_mesh.make_windows(seqs, seq_len=4, stride=4, tail="pad")
  assert len(w["seq"]) == 3
  np.testing.assert_array_equal(w["frame"][2], [8, 9, 9, 9])
  np.testing.assert_array_equal(w["frame_mask"][2], [1, 1, 0, 0])
  assert not w["frame_mask"][0, 1]


def test_h36m_actions_and_overlapping_train_windows(tmp_path):
  _write(tmp_path, "h36m", "train", "S1_Walking", 8, action="Walking")
  seqs = human_mesh.load_split(str(tmp_path), "h36m", "train")
  w = human_mesh.make_windows(seqs, seq_len=4, stride=2)
  assert len(w["seq"]) == 3 and set(w["action"]) == {"Walking"}


def test_clear_errors(tmp_path):
  with pytest.raises(FileNotFoundError, match="one .npz per sequence"):
    human_mesh.sequence_paths(str(tmp_path), "3dpw", "test")
  with pytest.raises(ValueError, match="Unknown dataset"):
    human_mesh.sequence_paths(str(tmp_path), "coco", "test")
  with pytest.raises(ValueError, match="splits"):
    human_mesh.sequence_paths(str(tmp_path), "h36m", "validation")
  directory = tmp_path / "3dpw" / "test"
  directory.mkdir(parents=True)
  np.savez(
      directory / "bad.npz",
      features=np.zeros((3, 4)),
      kp2d=np.zeros((3, 17, 3)),
      kp3d=np.zeros((3, 14, 3)),
  )
  with pytest.raises(ValueError, match="kp2d has shape"):
    human_mesh.load_split(str(tmp_path), "3dpw", "test")
