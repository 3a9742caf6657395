"""Periodic evaluation and best-checkpoint selection on a validation split.

`eval_every` evaluates mid-stage and writes the metrics as they come;
`select_best` keeps the best step on the validation split in
checkpoints/best/ beside the latest ones (keep-N does not remove it), a
resumed run keeps the best so far, and the final test evaluation is of it.
"""

import pytest

from jaxvision import user_errors
from jaxvision.core import checkpoint
from jaxvision.core import train
from tests.core import fake_method
from tests.core import test_train

SELECT = {"metric": "peak_at_8", "mode": "max", "split": "validation"}


def _config(**overrides):
  # NOTE: the fake's peak_at_8 is best at step 8, inside the first stage, so
  # the final evaluation restores an earlier stage's shapes.
  cfg = fake_method.config(select_best=SELECT, **overrides)
  cfg.checkpoint.keep = 1
  cfg.checkpoint.async_save = False
  for stage in cfg.stages:
    stage.eval_every = 4
  return cfg


def _validation(workdir) -> dict[int, float]:
  return {
      r["step"]: r["eval_validation/peak_at_8"]
      for r in test_train.read_metrics(workdir)
      if "eval_validation/peak_at_8" in r
  }


def test_keeps_the_best_validation_step_and_evaluates_it_on_test(tmp_path):
  final = train.train(_config(), str(tmp_path), fake_method.METHOD)
  validation = _validation(tmp_path)
  assert sorted(validation) == [4, 8, 12, 16, 20]
  assert final["best_step"] == 8
  # Kept beside the latest checkpoint, which keep=1 alone would have left.
  assert checkpoint.steps(tmp_path) == [20]
  best_dir = checkpoint.directory(tmp_path) / checkpoint.BEST
  assert sorted(p.name for p in best_dir.iterdir() if p.name.isdigit()) == ["8"]
  # The final test metrics are those of the best step's params.
  tests = [r for r in test_train.read_metrics(tmp_path) if "eval/accuracy" in r]
  assert tests[-1]["step"] == 8
  assert final["accuracy"] == pytest.approx(tests[-1]["eval/accuracy"])


def test_resume_keeps_the_best_so_far(tmp_path):
  full = train.train(_config(), str(tmp_path / "full"), fake_method.METHOD)
  part = tmp_path / "part"
  first_only = _config()
  first_only.stages = first_only.stages[:1]
  train.train(first_only, str(part), fake_method.METHOD)
  resumed = train.train(_config(), str(part), fake_method.METHOD)
  assert resumed["best_step"] == full["best_step"]
  assert resumed["accuracy"] == pytest.approx(full["accuracy"])


def test_bad_select_best_is_an_input_error(tmp_path):
  with pytest.raises(user_errors.InputError, match="select_best.mode"):
    train.Trainer(
        fake_method.config(select_best={"metric": "a", "mode": "up"}),
        str(tmp_path),
        fake_method.METHOD,
    )
