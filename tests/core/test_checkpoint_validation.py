"""checkpoint.keep must keep at least one checkpoint."""

import pytest

from jaxvision.core import checkpoint


@pytest.mark.parametrize("keep", [0, -1])
def test_keep_below_one_is_refused_before_anything_is_written(tmp_path,
                                                              keep):
  directory = tmp_path / "checkpoints"
  with pytest.raises(ValueError,
                     match=r"checkpoint\.keep.*set --config\.checkpoint\.keep "
                     "to >= 1"):
    checkpoint.Manager(str(directory), max_to_keep=keep)
  assert not directory.exists()


def test_keep_one_saves_and_keeps_the_newest(tmp_path):
  manager = checkpoint.Manager(str(tmp_path / "checkpoints"), max_to_keep=1,
                               async_save=False)
  for step in (1, 2):
    manager.save(step, {"w": step}, {"pos": step}, {"stage": 0})
  assert manager.steps() == [2]
