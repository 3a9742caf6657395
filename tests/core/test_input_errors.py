"""A batch that does not split over the mesh: one line naming the key, exit 2."""

import pytest

from jaxvision import main
from jaxvision import user_errors
from jaxvision.core import train
from tests.core import fake_method


def test_batch_not_divisible_by_the_batch_shards(tmp_path):
  cfg = fake_method.config()
  cfg.stages[1].batch_size = 63
  with pytest.raises(user_errors.InputError) as raised:
    train.train(cfg, str(tmp_path), fake_method.METHOD)
  assert str(raised.value) == (
      "batch size 63 does not split over the 8 batch shards of the mesh (8 "
      "devices) (stages.1.batch_size); set it to a multiple of 8, e.g. 56"
  )


def test_cli_prints_one_line_and_exits_2(tmp_path, capsys):
  code = main.main(
      [
          "train",
          "--config",
          "tests/core/fake_method.py",
          "--workdir",
          str(tmp_path),
          "--config.stages.0.batch_size=63",
      ]
  )
  assert code == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert err == [
      "error: batch size 63 does not split over the 8 batch shards "
      "of the mesh (8 devices) (stages.0.batch_size); set it to a "
      "multiple of 8, e.g. 56"
  ]
