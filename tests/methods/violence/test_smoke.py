"""Violence detection trains end to end: held-out fold, engine checks, CV runner."""

import json

import jax
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import train
from jaxvision.methods.violence import crossval
from tests.methods import engine_checks

# A very small spatiotemporal config: 4 frames (3 differences) of 32 px,
# 24 clips, 3 hidden channels per direction.
_TINY = [
    "data.num_clips=24",
    "data.num_frames=4",
    "model.convlstm.hidden=4",
    "model.convlstm.features=8",
    "model.convlstm.unroll=3",
    "model.classifier.hidden=(16, 10)",
    "stages.0.batch_size=8",
    "checkpoint.async_save=False",
]


@pytest.mark.slow
def test_smoke_beats_chance_on_held_out_fold(tmp_path):
  config = config_lib.load_config(
      "configs/violence/smoke.py", ["checkpoint.async_save=False"]
  )
  final = train.train(
      config,
      str(tmp_path / "run"),
      methods.get("violence"),
      devices=jax.devices()[:1],
  )
  rows = engine_checks.logged(tmp_path / "run", "cross_entropy")
  steps = sorted(rows)
  assert rows[steps[-1]] < 0.5 * rows[steps[0]]
  # Fold 0 (32 clips) was never trained on; chance is 0.5.
  assert final["num_examples"] == 32 and final["chance"] == 0.5
  assert final["accuracy"] >= 0.85


@pytest.mark.extended
@pytest.mark.slow
def test_engine_devices_and_resume(tmp_path):
  method = methods.get("violence")
  config = config_lib.load_config(
      "configs/violence/smoke.py",
      _TINY + ["stages.0.steps=4", "log_every=1", "checkpoint.every_steps=2"],
  )
  engine_checks.assert_devices_agree(config, method, tmp_path / "devices")
  engine_checks.assert_resume_matches(config, method, tmp_path / "resume")


@pytest.mark.slow
def test_crossval_runner_reports_and_skips_finished_folds(tmp_path):
  config = config_lib.load_config(
      "configs/violence/smoke.py",
      _TINY
      + [
          "eval.num_folds=2",
          "train.num_epochs=2",
          "eval.window_radius=1",
          "model.encoder=spatial",
      ],
  )
  lines = []
  report = crossval.run(config, str(tmp_path), lines.append)
  assert len(lines) == 4  # 2 folds x 2 epochs
  curves = [
      json.loads((tmp_path / f"fold_{k}" / "accuracy.json").read_text())
      for k in range(2)
  ]
  assert all(len(c) == 2 for c in curves)
  assert report["per_fold_max_mean"] == pytest.approx(
      (max(curves[0]) + max(curves[1])) / 2
  )
  folds = json.loads((tmp_path / "folds.json").read_text())
  assert sorted(set(folds.values())) == [0, 1] and len(folds) == 24
  # A second call finds every fold finished and trains nothing.
  again = []
  assert crossval.run(config, str(tmp_path), again.append) == report
  assert not again
