"""Tests for launch/sweep.py: expansion, names, validation, and the modes."""

import os
import pathlib
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from jaxvision import config_lib
from launch import sweep

_GET_CONFIG = """
import ml_collections


def get_config(arg=None):
  config = ml_collections.ConfigDict()
  config.method = 'toy'
  config.stages = [
      ml_collections.ConfigDict({'name': 'main', 'steps': 10,
                                 'batch_size': 8}),
      ml_collections.ConfigDict({'name': 'high', 'steps': 5,
                                 'batch_size': 4}),
  ]
  config.optim = ml_collections.ConfigDict({'lr': 0.1, 'name': 'adam'})
  config.size = (224, 224)
  return config
"""

_SWEEP = """
def sweep():
  return [{'stages.0.batch_size': 4096, 'optim.lr': 0.001},
          {'stages.0.batch_size': 16384, 'optim.lr': 0.001},
          {'optim.name': 'sgd'}]
"""


def _write_config(tmp_path: pathlib.Path, sweep_source: str = _SWEEP) -> str:
  path = tmp_path / "toy.py"
  path.write_text(_GET_CONFIG + textwrap.dedent(sweep_source))
  return str(path)


def test_expand_names_workdirs_and_argv(tmp_path):
  spec = _write_config(tmp_path)
  runs = sweep.expand(spec, "gs://bucket/sweep/")
  assert [r.name for r in runs] == [
      "batch_size=4096,lr=0.001",
      "batch_size=16384,lr=0.001",
      "name=sgd",
  ]
  assert [r.workdir for r in runs] == [
      f"gs://bucket/sweep/{r.name}" for r in runs
  ]
  assert runs[0].overrides == {"stages.0.batch_size": 4096, "optim.lr": 0.001}
  assert runs[0].argv == [
      "python",
      "-m",
      "jaxvision.main",
      "train",
      "--config",
      spec,
      "--workdir",
      "gs://bucket/sweep/batch_size=4096,lr=0.001",
      "--config.stages.0.batch_size=4096",
      "--config.optim.lr=0.001",
  ]
  assert runs[2].argv[-1] == "--config.optim.name=sgd"


def test_names_are_unique_stable_and_filesystem_safe(tmp_path):
  spec = _write_config(
      tmp_path,
      """
      def sweep():
        return [{'stages.0.batch_size': 16}, {'stages.1.batch_size': 16},
                {'optim.name': 'a/b'}, {'optim.name': 'a_b'},
                {'size': (64, 64)}, {'optim.name': '1e-3'}, {}]
      """,
  )
  runs = sweep.expand(spec, "root")
  names = [r.name for r in runs]
  assert names[0] == "0.batch_size=16"
  assert names[1] == "1.batch_size=16"
  # 'a/b' and 'a_b' sanitise to the same text; a hash of the exact
  # overrides tells them apart.
  assert names[2].startswith("name=a_b-") and names[3].startswith("name=a_b-")
  assert names[2] != names[3]
  assert names[4:] == ["size=64_64", "name=1e-3", "base"]
  assert len(set(names)) == len(names)
  for name in names:
    assert all(c.isalnum() or c in "._=,+-" for c in name), name
  assert [r.name for r in sweep.expand(spec, "root")] == names
  # Values are written so that config_lib parses them back unchanged.
  assert runs[4].argv[-1] == "--config.size=(64, 64)"
  assert runs[5].argv[-1] == "--config.optim.name='1e-3'"


def test_sweep_receives_the_config_argument(tmp_path):
  spec = _write_config(
      tmp_path,
      """
      def sweep(arg):
        return [{'stages.0.steps': int(arg) * k} for k in (1, 2)]
      """,
  )
  runs = sweep.expand(spec + ":3", "root")
  assert [r.name for r in runs] == ["steps=3", "steps=6"]
  assert runs[1].argv[5] == spec + ":3"


def test_format_value_round_trips():
  assert sweep.format_value("k", "adam") == "adam"
  assert sweep.format_value("k", "1e-3") == "'1e-3'"
  assert sweep.format_value("k", "True") == "'True'"
  assert sweep.format_value("k", True) == "True"
  assert sweep.format_value("k", 1e-5) == "1e-05"
  assert sweep.format_value("k", [1, 2]) == "[1, 2]"
  assert sweep.format_value("k", None) == "None"
  with pytest.raises(config_lib.ConfigError, match="cannot be written"):
    sweep.format_value("k", np.float32(0.5))


@pytest.mark.parametrize(
    "sweep_source, message",
    [
        (
            "def sweep():\n  return [{'optim.lr': 0.1}, {'optim.lrr': 0.2}]\n",
            r"entry 1 \(lrr=0.2\): Unknown config key 'optim.lrr'\. "
            r"Did you mean: optim.lr",
        ),
        (
            "def sweep():\n  return [{'stages.0.batch_size': 'big'}]\n",
            "expects int",
        ),
        (
            "def sweep():\n  return [{'optim.lr': 0.1}, {'optim.lr': 0.1}]\n",
            "entries 0 and 1 are identical",
        ),
        ("def sweep():\n  return []\n", "non-empty list of dicts"),
        (
            "def sweep():\n  return [{'optim.lr': np.float32(1)}]\n"
            "import numpy as np\n",
            "cannot be written on a command line",
        ),
        ("", "defines no sweep"),
    ],
)
def test_bad_sweeps_raise_config_error(tmp_path, sweep_source, message):
  spec = _write_config(tmp_path, sweep_source)
  with pytest.raises(config_lib.ConfigError, match=message):
    sweep.expand(spec, "root")


def test_extra_args_are_appended_and_validated(tmp_path):
  spec = _write_config(tmp_path)
  runs = sweep.expand(
      spec, "root", ["--config.stages.1.steps=3", "--distributed", "off"]
  )
  assert runs[0].argv[-3:] == [
      "--config.stages.1.steps=3",
      "--distributed",
      "off",
  ]
  with pytest.raises(config_lib.ConfigError, match="Unknown config key"):
    sweep.expand(spec, "root", ["--config.stages.1.stepz=3"])
  with pytest.raises(config_lib.ConfigError, match="both set optim.lr"):
    sweep.expand(spec, "root", ["--config.optim.lr=0.5"])
  with pytest.raises(config_lib.ConfigError, match="sets --workdir itself"):
    sweep.expand(spec, "root", ["--workdir=elsewhere"])
  with pytest.raises(config_lib.ConfigError, match="needs a value"):
    sweep.expand(spec, "root", ["--config.optim.name", "sgd"])


def test_print_mode_prints_one_command_per_run(tmp_path, capsys):
  spec = _write_config(tmp_path)
  assert sweep.main(["--config", spec, "--workdir", "w", "--only", "2,0"]) == 0
  lines = capsys.readouterr().out.splitlines()
  assert lines == [
      f"python -m jaxvision.main train --config {spec} --workdir w/name=sgd "
      "--config.optim.name=sgd",
      f"python -m jaxvision.main train --config {spec} --workdir "
      "w/batch_size=4096,lr=0.001 --config.stages.0.batch_size=4096 "
      "--config.optim.lr=0.001",
  ]
  assert shlex.split(lines[0])[7] == "w/name=sgd"


def test_only_out_of_range_is_a_clear_error(tmp_path, capsys):
  spec = _write_config(tmp_path)
  assert sweep.main(["--config", spec, "--workdir", "w", "--only", "5"]) == 2
  err = capsys.readouterr().err
  assert "no run 5" in err and "2: name=sgd" in err


class _FakePopen:
  """Records the commands the sweep starts; exit statuses come from a list."""

  def __init__(self, statuses):
    self.statuses = list(statuses)
    self.started = []

  def __call__(self, argv):
    self.started.append(argv)
    status = self.statuses.pop(0)

    class Process:

      def wait(self):
        return status

      def send_signal(self, signum):
        raise AssertionError(f"unexpected signal {signum}")

    return Process()


def test_local_mode_runs_in_order_and_stops_at_a_failure(tmp_path, monkeypatch):
  spec = _write_config(tmp_path)
  fake = _FakePopen([0, 1, 0])
  monkeypatch.setattr(subprocess, "Popen", fake)
  argv = ["--config", spec, "--workdir", "w", "--mode", "local"]
  assert sweep.main(argv) == 1
  assert [a[7] for a in fake.started] == [
      "w/batch_size=4096,lr=0.001",
      "w/batch_size=16384,lr=0.001",
  ]
  assert fake.started[0][:4] == [
      sys.executable,
      "-m",
      "jaxvision.main",
      "train",
  ]

  fake = _FakePopen([0, 1, 0])
  monkeypatch.setattr(subprocess, "Popen", fake)
  assert sweep.main(argv + ["--keep-going"]) == 1
  assert len(fake.started) == 3


def test_a_typo_fails_before_anything_runs(tmp_path, monkeypatch, capsys):
  spec = _write_config(
      tmp_path,
      """
      def sweep():
        return [{'optim.lr': 0.1}, {'stages.0.batch_sise': 2}]
      """,
  )
  fake = _FakePopen([])
  monkeypatch.setattr(subprocess, "Popen", fake)
  assert (
      sweep.main(["--config", spec, "--workdir", "w", "--mode", "local"]) == 2
  )
  assert fake.started == []
  assert "Did you mean: stages.0.batch_size" in capsys.readouterr().err


def test_local_mode_forwards_sigterm_and_stops(tmp_path):
  ready, termed, second = (tmp_path / n for n in ("ready", "termed", "second"))
  child = (
      "import pathlib, signal, sys, time\n"
      "def on_term(*_):\n"
      f"  pathlib.Path({str(termed)!r}).write_text('saved')\n"
      "  sys.exit(143)\n"
      "signal.signal(signal.SIGTERM, on_term)\n"
      f"pathlib.Path({str(ready)!r}).write_text('')\n"
      "time.sleep(30)\n"
  )
  runs = [
      sweep.Run("a", {}, "w/a", ["python", "-c", child]),
      sweep.Run(
          "b", {}, "w/b", ["python", "-c", f"open({str(second)!r}, 'w')"]
      ),
  ]

  def terminate_when_ready():
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
      time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)

  previous = signal.getsignal(signal.SIGTERM)
  thread = threading.Thread(target=terminate_when_ready)
  thread.start()
  status = sweep._run_local(runs, keep_going=True)
  thread.join()
  assert status == sweep.EXIT_PREEMPTED
  assert termed.read_text() == "saved"
  assert not second.exists()
  assert signal.getsignal(signal.SIGTERM) is previous


def test_tpu_mode_starts_each_run_on_its_own_tpu(tmp_path, monkeypatch, capfd):
  spec = _write_config(tmp_path)
  monkeypatch.setenv("DRY_RUN", "1")
  monkeypatch.delenv("TPU_ZONE", raising=False)
  monkeypatch.delenv("TPU_PROJECT", raising=False)
  assert (
      sweep.main(
          [
              "--config",
              spec,
              "--workdir",
              "gs://b/s",
              "--mode",
              "tpu",
              "--tpus",
              "tpu-a,tpu-b",
              "--only",
              "0,2",
          ]
      )
      == 0
  )
  out, err = capfd.readouterr()
  commands = [shlex.split(line) for line in out.splitlines()]
  assert [c[:7] for c in commands] == [
      ["gcloud", "compute", "tpus", "tpu-vm", "ssh", tpu, "--worker=all"]
      for tpu in ("tpu-a", "tpu-b")
  ]
  remote = commands[0][7]
  assert "tmux new-session -d -s batch_size_4096_lr_0_001 " in remote
  assert "--workdir gs://b/s/batch_size=4096,lr=0.001" in remote
  assert "launch/tpu/run.sh --name tpu-b --session name_sgd -- python" in err
  assert "warning: --config" in err  # tmp_path is outside the repository.


def test_tpu_mode_needs_one_tpu_per_run(tmp_path, capsys):
  spec = _write_config(tmp_path)
  assert (
      sweep.main(
          [
              "--config",
              spec,
              "--workdir",
              "gs://b/s",
              "--mode",
              "tpu",
              "--tpus",
              "tpu-a",
          ]
      )
      == 2
  )
  assert "3 runs but only 1 TPU VMs" in capsys.readouterr().err
