"""Engine checks every method runs on its own small config.

  assert_devices_agree   the same run on 1 device and on an 8-device mesh
                         gives the same logged losses and final params.
  assert_resume_matches  a run resumed from its middle checkpoint ends with
                         the same state as the uninterrupted run.

Configs must log and checkpoint at step multiples that these checks can
compare (e.g. log_every=1, checkpoint.every_steps = total_steps // 2).
"""

import json
import pathlib
import shutil

import jax
import ml_collections
import numpy as np

from jaxvision.core import checkpoint
from jaxvision.core import method as method_lib
from jaxvision.core import train


def logged(workdir, key: str = "loss") -> dict[int, float]:
  """{step: value} of a metric from the run's metrics.jsonl."""
  rows = pathlib.Path(workdir, "metrics.jsonl").read_text().splitlines()
  return {r["step"]: r[key] for r in map(json.loads, rows) if key in r}


def checkpoint_steps(workdir) -> list[int]:
  return checkpoint.steps(workdir)


def saved_state(workdir, step: int):
  """The checkpointed tree at `step`, restored onto one device."""
  return checkpoint.read_state(workdir, step)[1]


def _total_steps(config: ml_collections.ConfigDict) -> int:
  return sum(stage.steps for stage in config.stages)


def assert_devices_agree(
    config: ml_collections.ConfigDict,
    method: method_lib.Method,
    tmp_path,
    mesh: dict | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-5,
):
  """1-device and 8-device runs agree on losses and final params."""
  one = config.copy_and_resolve_references()
  one.mesh = {"data": 1}
  eight = config.copy_and_resolve_references()
  eight.mesh = mesh or {"data": 8}
  train.train(one, str(tmp_path / "one"), method, devices=jax.devices()[:1])
  train.train(eight, str(tmp_path / "eight"), method)
  l1, l8 = logged(tmp_path / "one"), logged(tmp_path / "eight")
  assert l1 and sorted(l1) == sorted(l8)
  np.testing.assert_allclose(
      [l1[s] for s in sorted(l1)],
      [l8[s] for s in sorted(l8)],
      rtol=rtol,
      atol=atol,
  )
  last = _total_steps(config)
  a = saved_state(tmp_path / "one", last)
  b = saved_state(tmp_path / "eight", last)
  jax.tree.map(
      lambda x, y: np.testing.assert_allclose(x, y, rtol=rtol, atol=atol), a, b
  )


def assert_resume_matches(
    config: ml_collections.ConfigDict, method: method_lib.Method, tmp_path
):
  """Drop the final checkpoint, resume from the middle one: same end state.

  The resumed run restores params, optimizer state, the step (hence the RNG)
  and the data iterator position; any of them wrong changes the end state.
  """
  workdir = tmp_path / "run"
  train.train(config, str(workdir), method)
  steps = checkpoint_steps(workdir)
  assert len(steps) >= 2, f"need a middle checkpoint, got {steps}"
  last = steps[-1]
  reference = saved_state(workdir, last)
  shutil.rmtree(checkpoint.step_directory(workdir, last))
  train.train(config, str(workdir), method)
  jax.tree.map(
      np.testing.assert_array_equal, reference, saved_state(workdir, last)
  )
