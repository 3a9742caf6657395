"""checkpoint.keep must keep at least one checkpoint; read_state errors."""

import numpy as np
import pytest

from jaxvision.core import checkpoint


@pytest.mark.parametrize("keep", [0, -1])
def test_keep_below_one_is_refused_before_anything_is_written(tmp_path, keep):
  directory = tmp_path / "checkpoints"
  with pytest.raises(
      ValueError,
      match=r"checkpoint\.keep.*set --config\.checkpoint\.keep " "to >= 1",
  ):
    checkpoint.Manager(str(tmp_path), max_to_keep=keep)
  assert not directory.exists()


def test_keep_one_saves_and_keeps_the_newest(tmp_path):
  manager = checkpoint.Manager(str(tmp_path), max_to_keep=1, async_save=False)
  for step in (1, 2):
    manager.save(step, {"w": step}, {"pos": step}, {"stage": 0})
  assert manager.steps() == [2]


def test_read_state_names_the_missing_folder_and_step(tmp_path):
  with pytest.raises(FileNotFoundError, match="has no checkpoints/ folder"):
    checkpoint.read_state(tmp_path)
  manager = checkpoint.Manager(str(tmp_path), async_save=False)
  manager.save(3, {"w": np.arange(2.0)}, {"pos": 3}, {"stage": 0})
  manager.close()
  assert checkpoint.steps(tmp_path) == [3]
  with pytest.raises(FileNotFoundError, match=r"No checkpoint step 5 .*\[3\]"):
    checkpoint.read_state(tmp_path, 5)
  step, state = checkpoint.read_state(tmp_path)
  assert step == 3
  np.testing.assert_array_equal(state["w"], [0.0, 1.0])
