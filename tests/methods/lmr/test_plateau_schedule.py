"""VIBE's ReduceLROnPlateau schedule: the rule, the logged history it reads,
and the train step's scaled update."""

import json
import types

import jax
import ml_collections
import numpy as np
import optax
import pytest

from jaxvision import config_lib
from jaxvision.core import state as state_lib
from jaxvision.methods.lmr import data
from jaxvision.methods.lmr import method
from jaxvision.methods.lmr import schedule


def test_plateau_factor_follows_pytorch_min_mode():
  assert schedule.plateau_factor([], 0.1, 5) == 1.0
  # Improving every epoch: no reduction.
  assert schedule.plateau_factor([9, 8, 7, 6, 5, 4, 3], 0.1, 5) == 1.0
  # Best at epoch 1, then 5 bad epochs: not yet (bad must exceed patience).
  assert schedule.plateau_factor([5, 6, 6, 6, 6, 6], 0.1, 5) == 1.0
  # The 6th bad epoch reduces once, and the count restarts.
  assert schedule.plateau_factor([5] + [6] * 6, 0.1, 5) == 0.1
  assert schedule.plateau_factor([5] + [6] * 11, 0.1, 5) == 0.1
  np.testing.assert_allclose(
      schedule.plateau_factor([5] + [6] * 12, 0.1, 5), 0.01
  )
  # A relative gain under the 1e-4 threshold is not an improvement.
  assert schedule.plateau_factor([5] + [5 * (1 - 5e-5)] * 6, 0.1, 5) == 0.1


def test_eval_history_reads_the_engines_metrics_log(tmp_path):
  rows = [
      {"step": 100, "loss": 1.0},
      {"step": 500, "eval/pa_mpjpe": 60.0},
      {"step": 1000, "eval/pa_mpjpe": 58.0},
      {"step": 1000, "eval/pa_mpjpe": 57.0},  # a re-run: the last wins
      {"step": 1500, "eval/pa_mpjpe": 56.0},
  ]
  (tmp_path / "metrics.jsonl").write_text(
      "".join(json.dumps(r) + "\n" for r in rows)
  )
  assert schedule.eval_history(str(tmp_path), "pa_mpjpe", 1000) == [60.0, 57.0]
  assert schedule.eval_history("", "pa_mpjpe", 1000) == []
  assert schedule.eval_history(str(tmp_path / "none"), "pa_mpjpe", 9) == []


def _smoke(tmp_path):
  config = config_lib.load_config(
      "configs/lmr/smoke.py",
      [
          f"assets.dir={tmp_path / 'toy'}",
          "data.num_train=4",
          "data.num_test=2",
          "stages.0.batch_size=2",
      ],
  )
  config.lr_plateau = ml_collections.ConfigDict(
      dict(metric="pa_mpjpe", factor=0.1, patience=5)
  )
  return config


@pytest.mark.slow
def test_train_step_scales_the_update_by_the_plateau_factor(tmp_path):
  config = _smoke(tmp_path)
  (tmp_path / "metrics.jsonl").write_text(
      "".join(
          json.dumps({"step": 10 * (i + 1), "eval/pa_mpjpe": 5.0 if i else 4.0})
          + "\n"
          for i in range(7)
      )
  )
  ctx = lambda workdir: types.SimpleNamespace(
      config=config, stage=config.stages[0], workdir=workdir, first_step=70
  )
  batch = jax.tree.map(
      jax.numpy.asarray, next(data.make_train_data(ctx(""), seed=0))
  )
  params = method.init(ctx(""), jax.random.key(0))
  tx = optax.adam(1e-3)
  state = state_lib.TrainState(
      step=np.int32(0),
      rng=np.zeros(2, np.uint32),
      params=params,
      opt_state={"model": tx.init(params["model"])},
      txs={"model": tx},
  )
  rng = jax.random.key(1)
  full, m_full = jax.jit(method.make_train_step(ctx("")))(state, batch, rng)
  scaled, m_scaled = jax.jit(method.make_train_step(ctx(str(tmp_path))))(
      state, batch, rng
  )
  assert m_full["lr_scale"] == 1.0 and m_scaled["lr_scale"] == 0.1
  delta = lambda s: jax.tree.map(lambda a, b: a - b, s.params, params)
  for a, b in zip(jax.tree.leaves(delta(scaled)), jax.tree.leaves(delta(full))):
    # float32: the params are O(1), their 1e-4 updates carry ~1e-7 rounding.
    np.testing.assert_allclose(a, 0.1 * b, rtol=1e-3, atol=2e-7)
