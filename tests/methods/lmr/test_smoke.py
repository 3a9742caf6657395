"""LMR smoke training learns on held-out synthetic videos; engine checks."""

import json

import jax
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import train
from tests.methods import engine_checks


def _config(tmp_path, *overrides):
  return config_lib.load_config(
      "configs/lmr/smoke.py",
      [f"assets.dir={tmp_path.parent / 'lmr_toy_body'}", *overrides],
  )


def _tiny(tmp_path, *overrides):
  """A few steps on little data, for the engine checks and ablations."""
  return _config(
      tmp_path,
      "stages.0.steps=4",
      "log_every=1",
      "checkpoint.every_steps=2",
      "checkpoint.async_save=False",
      "data.num_train=8",
      "data.num_test=2",
      *overrides,
  )


@pytest.mark.slow
def test_smoke_beats_mean_pose_baseline(tmp_path):
  config = _config(tmp_path, "log_every=10")
  final = train.train(
      config,
      str(tmp_path / "run"),
      methods.get("lmr"),
      devices=jax.devices()[:1],
  )
  rows = [
      json.loads(line)
      for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
  ]
  losses = [r["loss"] for r in rows if "loss" in r]
  assert np.mean(losses[-2:]) <= 0.6 * np.mean(losses[:2])
  # Held-out sequences (a different seed): far better than the mean pose.
  assert final["mpjpe"] <= 0.6 * final["baseline_mpjpe"]
  assert final["pa_mpjpe"] <= 0.95 * final["baseline_pa_mpjpe"]
  assert final["pve"] <= 0.6 * final["baseline_pve"]
  assert np.isfinite(final["accel_error"])


@pytest.mark.parametrize(
    "override",
    [
        "model.lmr.root_conditioning=False",
        "model.temporal=single_rnn",
        "data.seq_len=4",
        "data.label_fraction=0.5",
    ],
)
@pytest.mark.extended
def test_ablations_run(tmp_path, override):
  final = train.train(
      _tiny(tmp_path, override), str(tmp_path / "run"), methods.get("lmr")
  )
  assert np.isfinite(final["mpjpe"])


@pytest.mark.extended
def test_devices_agree(tmp_path):
  engine_checks.assert_devices_agree(
      _tiny(tmp_path), methods.get("lmr"), tmp_path
  )


@pytest.mark.extended
def test_resume_matches(tmp_path):
  engine_checks.assert_resume_matches(
      _tiny(tmp_path), methods.get("lmr"), tmp_path
  )
