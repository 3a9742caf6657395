"""Smoke training on synthetic rooms beats trivial baselines on held-out
sequences, and the engine checks (device count, resume) hold."""

import json
import pathlib

import jax
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import train
from tests.methods import engine_checks

TINY = [
    "stages.0.steps=4",
    "stages.0.batch_size=8",
    "log_every=1",
    "checkpoint.every_steps=2",
    "checkpoint.async_save=False",
    "data.synthetic.train_sequences=1",
    "data.synthetic.test_sequences=1",
    "data.synthetic.frames=6",
    "model.depth.scales=[0]",
    "eval_batch_size=8",
]


# NOTE: with the residual pose decoder at the initial one's 0.1 output scale,
# the engine run put the rotation into the residual step, which turns both
# sources alike: the previous-frame pose was right (1.2 deg error) and the
# evaluated next-frame pose wrong (6.29 vs identity 3.87 deg). The smoke
# config keeps the residual decoder at 0.01 (configs/monoindoor/smoke.py).
# Measured here: photometric 0.1088 -> 0.0586, abs_rel 0.2049 vs constant
# 0.3244, rot err 1.381 vs identity 3.866 deg; 144-294 s on the shared
# 2-core CPU (docs/methods/monoindoor.md, "Smoke test"). 200 steps fail
# abs_rel.
@pytest.mark.slow
def test_smoke_beats_constant_depth_and_identity_pose(tmp_path):
  config = config_lib.load_config("configs/monoindoor/smoke.py")
  train.train(
      config, str(tmp_path), methods.get("monoindoor"), jax.devices()[:1]
  )
  rows = [
      json.loads(r)
      for r in pathlib.Path(tmp_path, "metrics.jsonl").read_text().splitlines()
  ]
  photo = [r["photometric"] for r in rows if "photometric" in r]
  # Spec 12: the start is the mean over the first 10 steps (log_every=10);
  # the end averages the last 50 steps.
  start, end = photo[0], float(np.mean(photo[-5:]))
  # NOTE: `train.train` returns the metrics without the "eval/" prefix; read
  # the logged evaluation row instead.
  ev = [r for r in rows if "eval/abs_rel" in r][-1]
  print(
      f"photometric {start:.4f} -> {end:.4f}; "
      f"abs_rel {ev['eval/abs_rel']:.4f} vs constant "
      f"{ev['eval/baseline_constant_abs_rel']:.4f}; rot_err "
      f"{ev['eval/rot_err_deg']:.3f} vs identity "
      f"{ev['eval/baseline_identity_rot_deg']:.3f} deg"
  )
  assert config.log_every == 10
  assert end <= 0.8 * start
  assert ev["eval/abs_rel"] <= 0.75 * ev["eval/baseline_constant_abs_rel"]
  assert ev["eval/rot_err_deg"] <= 0.8 * ev["eval/baseline_identity_rot_deg"]


@pytest.mark.extended
def test_devices_agree(tmp_path):
  # NOTE: step-1 losses agree to 1e-6; later steps drift by ~1% because the
  # per-pixel min / automask selections and Adam's normalisation of near-zero
  # gradients amplify float reduction-order differences of the sharded batch.
  # Adam moves a parameter by up to ~lr per step whatever its gradient's size,
  # so a near-zero gradient whose sign differs between the two reductions
  # can part the runs by 2 x 4 x 1e-3 after 4 steps (measured: 5.2e-3 on 1 of
  # 128 elements with the residual pose decoder at output scale 0.01).
  config = config_lib.load_config("configs/monoindoor/smoke.py", TINY)
  engine_checks.assert_devices_agree(
      config, methods.get("monoindoor"), tmp_path, rtol=3e-2, atol=1e-2
  )


@pytest.mark.extended
def test_resume_matches(tmp_path):
  config = config_lib.load_config("configs/monoindoor/smoke.py", TINY)
  engine_checks.assert_resume_matches(
      config, methods.get("monoindoor"), tmp_path
  )
