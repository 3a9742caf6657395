"""One run per workdir (`workdir/.lock`), and a clear line for a read-only one."""

import errno
import json
import logging
import os
import socket
import subprocess
import sys

from jaxvision import main
from jaxvision import workdir

FAKE = "tests/core/fake_method.py"


def _train(path):
  return main.main(
      [
          "train",
          "--config",
          FAKE,
          "--workdir",
          str(path),
          "--config.checkpoint.async_save=False",
      ]
  )


def _write_lock(path, pid, host=None):
  path.mkdir(parents=True, exist_ok=True)
  (path / workdir.LOCK).write_text(
      json.dumps({"host": host or socket.gethostname(), "pid": pid})
  )


def test_second_run_in_a_workdir_in_use_stops(capsys, tmp_path):
  other = subprocess.Popen(
      [sys.executable, "-c", "import time; " "time.sleep(120)"]
  )
  try:
    _write_lock(tmp_path, other.pid)
    assert _train(tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: workdir {tmp_path} in use by pid {other.pid} on "
        f"host {socket.gethostname()} ({tmp_path / workdir.LOCK}); "
        "stop it or use another --workdir (delete the lock file "
        "only if that run is gone)"
    )
    assert not (tmp_path / "checkpoints").exists()
  finally:
    other.kill()
    other.wait()


def test_lock_of_another_host_is_respected(capsys, tmp_path):
  _write_lock(tmp_path, 1, host="some-other-host")
  assert _train(tmp_path) == 2
  assert "in use by pid 1 on host some-other-host" in capsys.readouterr().err


def test_stale_lock_is_taken_over_and_released(caplog, capsys, tmp_path):
  gone = subprocess.Popen([sys.executable, "-c", "pass"])
  gone.wait()
  _write_lock(tmp_path, gone.pid)
  with caplog.at_level(logging.WARNING):
    assert _train(tmp_path) == 0, capsys.readouterr().err
  assert "Taking over the stale lock" in caplog.text
  assert not (tmp_path / workdir.LOCK).exists()


def test_lock_is_held_while_training_and_released_on_error(tmp_path):
  with workdir.locked(str(tmp_path)):
    holder = json.loads((tmp_path / workdir.LOCK).read_text())
    assert holder == {"host": socket.gethostname(), "pid": os.getpid()}
  assert not (tmp_path / workdir.LOCK).exists()
  try:
    with workdir.locked(str(tmp_path)):
      raise KeyboardInterrupt
  except KeyboardInterrupt:
    pass
  assert not (tmp_path / workdir.LOCK).exists()


def test_read_only_workdir_is_one_clear_line(capsys, tmp_path, monkeypatch):
  # NOTE: tests may run as root, which writes through chmod 0o555; the
  # read-only file system is simulated where files are created.
  real_open = os.open

  def read_only(path, flags, *args):
    if flags & os.O_CREAT and str(path).startswith(str(tmp_path)):
      raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    return real_open(path, flags, *args)

  monkeypatch.setattr(os, "open", read_only)
  assert _train(tmp_path) == 2
  err = capsys.readouterr().err.strip()
  assert err == (
      f"error: workdir {tmp_path} is not writable (Read-only file "
      f"system) ({tmp_path / workdir.LOCK}); use a writable "
      "--workdir"
  )
