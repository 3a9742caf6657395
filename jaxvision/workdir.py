"""What a train workdir keeps about its runs, so a run can be understood later.

  config.json    the resolved config (file, `:arg` and overrides applied) of
                 the latest run
  command.txt    one line per run (start or resume): the command that ran it
  versions.json  python and library versions, CUDA if any, the project's git
                 commit if the package is in a git checkout
  train.log      what the runs printed to stdout, and the log records
  .lock          {"host", "pid"} of the run training in it now (`locked`)

A run in a workdir that already has config.json is a resume: the two configs
are compared and the differing keys printed as a warning (not an error:
overriding `stages.N.steps` to train longer is a normal resume). Only process
0 writes; the files go through `etils.epath`, so `gs://` workdirs work.
"""

import contextlib
import importlib.metadata
import json
import logging
import os
import pathlib
import platform
import shlex
import socket
import subprocess
import sys
from typing import Any, Iterator

from etils import epath
import ml_collections

from jaxvision import user_errors

CONFIG = "config.json"
COMMAND = "command.txt"
VERSIONS = "versions.json"
LOG = "train.log"
LOCK = ".lock"

_DISTRIBUTIONS = (
    "jax",
    "jaxlib",
    "flax",
    "optax",
    "orbax-checkpoint",
    "grain",
    "libtpu",
)
_CUDA_PREFIXES = ("jax-cuda", "nvidia-cuda-runtime")


def _version(distribution: str) -> str | None:
  try:
    return importlib.metadata.version(distribution)
  except importlib.metadata.PackageNotFoundError:
    return None


def _git_commit() -> dict[str, Any]:
  """{"git_commit", "git_dirty"} of the checkout holding this package."""
  root = pathlib.Path(__file__).resolve().parent.parent
  if not (root / ".git").exists():
    return {}
  try:
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    status = subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
  except (OSError, subprocess.SubprocessError):
    return {}
  return {"git_commit": commit, "git_dirty": bool(status.strip())}


def versions() -> dict[str, Any]:
  """Python, the libraries a run depends on, CUDA packages, git commit."""
  found = {"python": platform.python_version()}
  for name in _DISTRIBUTIONS:
    if (version := _version(name)) is not None:
      found[name] = version
  cuda = {
      d.metadata["Name"]: d.version
      for d in importlib.metadata.distributions()
      if (d.metadata["Name"] or "").lower().startswith(_CUDA_PREFIXES)
  }
  if cuda:
    found["cuda"] = dict(sorted(cuda.items()))
  return found | _git_commit()


def _flat(node: Any, prefix: str = "") -> dict[str, Any]:
  """Dotted leaf paths of a JSON config (list items by index)."""
  if isinstance(node, dict):
    items = node.items()
  elif isinstance(node, list) and any(isinstance(v, dict) for v in node):
    items = ((str(i), v) for i, v in enumerate(node))
  else:
    return {prefix: node}
  flat = {}
  for name, value in items:
    flat |= _flat(value, f"{prefix}.{name}" if prefix else name)
  return flat


def config_json(config: ml_collections.ConfigDict) -> dict[str, Any]:
  """The config as JSON data (tuples become lists, as in config.json)."""
  return json.loads(config.to_json_best_effort(sort_keys=True))


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
  """`key: old -> new` for every key whose value differs, sorted by key."""
  old, new = _flat(old), _flat(new)

  def shown(flat, key):
    return repr(flat[key]) if key in flat else "(absent)"

  return [
      f"{key}: {shown(old, key)} -> {shown(new, key)}"
      for key in sorted(old.keys() | new.keys())
      if key not in old or key not in new or old[key] != new[key]
  ]


class _Tee:
  """A text stream that writes to a stream and to a log file."""

  def __init__(self, stream, log):
    self._stream, self._log = stream, log

  def write(self, text: str) -> int:
    self._log.write(text)
    return self._stream.write(text)

  def flush(self) -> None:
    self._log.flush()
    self._stream.flush()

  def __getattr__(self, name: str):
    return getattr(self._stream, name)


@contextlib.contextmanager
def recorded(
    config: ml_collections.ConfigDict,
    workdir: str,
    command_line: str,
    is_main_process: bool = True,
) -> Iterator[None]:
  """Writes the workdir's run files, and logs the run into train.log.

  Args:
    config: the resolved config of this run.
    workdir: the run directory (local or e.g. gs://).
    command_line: the command that started this run.
    is_main_process: only then anything is written (jax process 0).

  Yields:
    While the run trains: its stdout and log records also go to train.log;
    an exception that ends the run is logged there too.
  """
  if not is_main_process:
    yield
    return
  root = epath.Path(workdir)
  root.mkdir(parents=True, exist_ok=True)
  with (root / LOG).open("a") as log:
    stdout, sys.stdout = sys.stdout, _Tee(sys.stdout, log)
    handler = logging.StreamHandler(log)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.getLogger().addHandler(handler)
    try:
      _write_run_files(config, root, command_line)
      yield
    except BaseException as e:
      log.write(f"error: {type(e).__name__}: {e}\n")
      raise
    finally:
      logging.getLogger().removeHandler(handler)
      sys.stdout = stdout


def _write_run_files(
    config: ml_collections.ConfigDict, root: epath.Path, command_line: str
) -> None:
  new = config_json(config)
  previous = root / CONFIG
  if previous.exists():
    changed = differences(json.loads(previous.read_text()), new)
    if changed:
      print(
          f"warning: resuming with a config that differs from "
          f"{previous} in {len(changed)} key(s):",
          flush=True,
      )
      for line in changed:
        print(f"  {line}", flush=True)
  previous.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
  with (root / COMMAND).open("a") as f:
    f.write(f"cd {shlex.quote(os.getcwd())} && {command_line}\n")
  (root / VERSIONS).write_text(json.dumps(versions(), indent=1) + "\n")


def _running_elsewhere(holder: dict[str, Any] | None) -> bool:
  """Whether the lock's holder may still run (another host: it may)."""
  if not holder or holder.get("host") != socket.gethostname():
    return bool(holder)
  pid = holder.get("pid")
  if not isinstance(pid, int) or pid == os.getpid():
    return False
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True  # alive, another user's
  return True


def _create(lock: epath.Path, text: str) -> None:
  """Writes a new lock file; FileExistsError when one appeared meanwhile."""
  if "://" in os.fspath(lock):
    lock.write_text(text)  # object stores: no exclusive create
    return
  fd = os.open(os.fspath(lock), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
  with os.fdopen(fd, "w") as f:
    f.write(text)


def _acquire(workdir: str, lock: epath.Path) -> str:
  """Creates `lock` for this process (taking over a stale one)."""
  mine = json.dumps({"host": socket.gethostname(), "pid": os.getpid()})
  for _ in range(2):  # NOTE: a second try when another run raced us
    if lock.exists():
      try:
        holder = json.loads(lock.read_text())
      except (OSError, ValueError):
        holder = None  # half written by a run killed at its start
      if _running_elsewhere(holder):
        raise user_errors.InputError(
            user_errors.message(
                f"workdir {workdir} in use by pid {holder.get('pid')} on host "
                f"{holder.get('host')}",
                os.fspath(lock),
                "stop it or use another --workdir (delete the lock file only if "
                "that run is gone)",
            )
        )
      logging.warning(
          "Taking over the stale lock %s of %s: that run is not " "running.",
          lock,
          holder,
      )
      lock.unlink(missing_ok=True)
    try:
      _create(lock, mine)
      return mine
    except FileExistsError:
      continue
  raise user_errors.InputError(
      user_errors.message(
          f"workdir {workdir} is being taken by another run",
          os.fspath(lock),
          "use another --workdir",
      )
  )


@contextlib.contextmanager
def locked(workdir: str, is_main_process: bool = True) -> Iterator[None]:
  """Holds `workdir/.lock` while a run trains in `workdir`.

  Two runs in one workdir would save the same checkpoint steps and mix their
  logs, so a second run stops with a clear error. A lock whose process is
  gone (a run killed with `kill -9`) is taken over with a warning. Creating
  the lock is also the check that the workdir is writable, before anything
  else is written. Only process 0 locks; the others share its workdir.

  Raises:
    user_errors.InputError: the workdir is in use or not writable.
  """
  if not is_main_process:
    yield
    return
  lock = epath.Path(workdir) / LOCK
  try:
    epath.Path(workdir).mkdir(parents=True, exist_ok=True)
    mine = _acquire(workdir, lock)
  except OSError as e:
    raise user_errors.InputError(
        user_errors.message(
            f"workdir {workdir} is not writable ({e.strerror or e})",
            e.filename or workdir,
            "use a writable --workdir",
        )
    ) from e
  try:
    yield
  finally:
    try:
      if lock.read_text() == mine:
        lock.unlink()
    except OSError:
      pass  # removed by hand meanwhile
