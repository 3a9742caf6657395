"""Nothing lost: SIGTERM / kill -9 mid-run, corrupt checkpoints, 2 processes."""

import logging
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from jaxvision.core import checkpoint
from jaxvision.core import method as method_lib
from jaxvision.core import train
from tests.core import fake_method
from tests.core import test_train

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = "tests/core/fake_method.py"


def cli(workdir, *extra, env=None):
  cmd = [
      sys.executable,
      "-m",
      "jaxvision.main",
      "train",
      "--config",
      CONFIG,
      "--workdir",
      str(workdir),
      *extra,
  ]
  return subprocess.Popen(
      cmd,
      cwd=ROOT,
      env={**os.environ, **(env or {})},
      stdout=subprocess.PIPE,
      stderr=subprocess.STDOUT,
      text=True,
  )


def wait_for(predicate, timeout=120):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    if predicate():
      return
    time.sleep(0.1)
  raise TimeoutError("condition not reached")


def checkpoint_steps(workdir):
  return checkpoint.steps(workdir)


def logged_steps(workdir):
  path = pathlib.Path(workdir, "metrics.jsonl")
  return (
      [r["step"] for r in test_train.read_metrics(workdir) if "loss" in r]
      if path.exists()
      else []
  )


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
  workdir = tmp_path_factory.mktemp("full")
  train.train(fake_method.config(), str(workdir), fake_method.METHOD)
  return test_train.final_params(workdir, 20)


SLOW = ("--config.sleep_per_batch=0.15",)


def test_sigterm_saves_and_resume_matches(tmp_path, uninterrupted):
  proc = cli(tmp_path, *SLOW)
  wait_for(lambda: max(logged_steps(tmp_path) or [0]) >= 4)
  proc.send_signal(signal.SIGTERM)
  out, _ = proc.communicate(timeout=120)
  assert proc.returncode == 143, out
  stopped = max(checkpoint_steps(tmp_path))
  assert 4 <= stopped < 20, out
  assert "Preempted" in out
  proc = cli(tmp_path)
  out, _ = proc.communicate(timeout=300)
  assert proc.returncode == 0, out
  jax.tree.map(
      np.testing.assert_array_equal,
      uninterrupted,
      test_train.final_params(tmp_path, 20),
  )


def test_kill9_then_resume_matches(tmp_path, uninterrupted):
  proc = cli(tmp_path, *SLOW)
  wait_for(lambda: any(s >= 8 for s in checkpoint_steps(tmp_path)))
  proc.kill()
  proc.communicate(timeout=60)
  assert max(checkpoint_steps(tmp_path)) < 20
  proc = cli(tmp_path)
  out, _ = proc.communicate(timeout=300)
  assert proc.returncode == 0, out
  jax.tree.map(
      np.testing.assert_array_equal,
      uninterrupted,
      test_train.final_params(tmp_path, 20),
  )


def test_corrupt_latest_checkpoint_falls_back(tmp_path, caplog):
  train.train(fake_method.config(), str(tmp_path), fake_method.METHOD)
  latest = pathlib.Path(
      checkpoint.step_directory(tmp_path, 20), checkpoint.STATE
  )
  for f in latest.rglob("*"):
    if f.is_file() and f.stat().st_size > 0 and "manifest" in f.name:
      f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
  for f in latest.rglob("*"):
    if f.is_file() and "_METADATA" in f.name:
      f.write_text("{not json")
  cfg = fake_method.config()
  mesh = jax.make_mesh((8,), ("data",))
  contexts = method_lib.stage_contexts(cfg, mesh)
  manager = checkpoint.Manager(str(tmp_path), async_save=False)
  with caplog.at_level(logging.WARNING):
    step, state, data_state, meta = manager.restore_latest(
        lambda meta: train.build_stage(
            fake_method.METHOD, contexts[meta["stage_index"]]
        ).abstract_checkpoint()
    )
  manager.close()
  assert step == 16
  assert meta["stage"] == "second"
  assert data_state == {"index": 4}
  assert int(state["step"]) == 16
  assert "falling back" in caplog.text


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def test_two_processes_agree_with_one(tmp_path, uninterrupted):
  port = free_port()
  procs = []
  for pid in range(2):
    env = {
        "JAX_COORDINATOR_ADDRESS": f"127.0.0.1:{port}",
        "JAX_NUM_PROCESSES": "2",
        "JAX_PROCESS_ID": str(pid),
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
    }
    procs.append(cli(tmp_path, env=env))
  outs = [p.communicate(timeout=400)[0] for p in procs]
  for p, out in zip(procs, outs):
    assert p.returncode == 0, out
  jax.tree.map(
      lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
      uninterrupted,
      test_train.final_params(tmp_path, 20, like=uninterrupted),
  )
  assert "accuracy=" in outs[0]
