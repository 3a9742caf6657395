r"""Expands a config's `sweep()` into training runs, then prints or runs them.

  python -m launch.sweep --config configs/reclip/reclip.py[:arg] \
      --workdir ROOT [--mode print|local|tpu] [--only 0,2] [--tpus a,b] \
      [--keep-going] [-- extra jaxvision.main args]

A config file may define `sweep()` (or `sweep(arg)`, which receives the
`:arg` of `--config`) returning a list of dicts that map dotted config keys to
values, e.g. `[{'stages.0.batch_size': 4096}, {'stages.0.batch_size': 16384}]`.
Each dict becomes one run, named after its overrides (`batch_size=4096`; keys
are shortened to the shortest dotted suffix that stays unambiguous), with
workdir `ROOT/<name>` and the command

  python -m jaxvision.main train --config SPEC --workdir ROOT/<name> \
      --config.k=v ... [extra args]

Every run's config is loaded and validated before anything starts, so a typo
in `sweep()` fails at once, not hours into the sweep.

Modes:
  print  print one command per run (the default).
  local  run them one after another on this machine. On a TPU VM, wrap the
         whole sweep in launch/tpu/run.sh: every worker then runs the same
         sequence, which multi-host jax needs.
  tpu    start each run on its own TPU VM (`--tpus`, one per run) with
         launch/tpu/run.sh; DRY_RUN=1 prints its gcloud commands instead.
"""

import argparse
import collections
import dataclasses
import hashlib
import inspect
import pathlib
import re
import shlex
import signal
import subprocess
import sys
from typing import Any, Mapping, Sequence

from jaxvision import config_lib
from jaxvision import main as jv_main

RUN_SH = pathlib.Path(__file__).resolve().parent / "tpu" / "run.sh"
# The status jaxvision.main exits with when SIGTERM stopped it early (after
# saving a checkpoint); the sweep then stops too.
EXIT_PREEMPTED = jv_main.EXIT_PREEMPTED
_MAX_NAME = 120
_TPU_ONLY_ONE = (
    "a TPU VM runs one program at a time; to run the sweep's runs "
    "one after another on one TPU VM use launch/tpu/run.sh -- "
    "python -m launch.sweep ... --mode local"
)


@dataclasses.dataclass(frozen=True)
class Run:
  """One run of a sweep.

  Attributes:
    name: filesystem-safe, unique within the sweep, derived from `overrides`.
    overrides: the `sweep()` entry: dotted config key -> value.
    workdir: `ROOT/<name>`.
    argv: the full `python -m jaxvision.main train ...` command line.
  """

  name: str
  overrides: dict[str, Any]
  workdir: str
  argv: list[str]


def sweep_entries(spec: str) -> list[dict[str, Any]]:
  """Calls the `sweep()` of config file `spec` and checks what it returns."""
  path, arg = config_lib.split_spec(spec)
  module = config_lib.load_module(spec)
  fn = getattr(module, "sweep", None)
  if fn is None:
    raise config_lib.ConfigError(
        f"{path} defines no sweep(): add `def sweep(): return "
        "[{'some.key': value}, ...]` (one dict of overrides per run)."
    )
  takes_arg = any(
      p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
      for p in inspect.signature(fn).parameters.values()
  )
  entries = fn(arg) if takes_arg else fn()
  if not isinstance(entries, (list, tuple)) or not entries:
    raise config_lib.ConfigError(
        f"{path}: sweep() must return a non-empty list of dicts, got "
        f"{entries!r}."
    )
  seen = {}
  for i, entry in enumerate(entries):
    if not isinstance(entry, Mapping) or not all(
        isinstance(k, str) and k for k in entry
    ):
      raise config_lib.ConfigError(
          f"{path}: sweep() entry {i} must be a dict of dotted config keys "
          f"to values, got {entry!r}."
      )
    canonical = repr(sorted(entry.items()))
    if canonical in seen:
      raise config_lib.ConfigError(
          f"{path}: sweep() entries {seen[canonical]} and {i} are identical "
          f"({dict(entry)!r}); remove one."
      )
    seen[canonical] = i
  return [dict(entry) for entry in entries]


def format_value(key: str, value: Any) -> str:
  """Writes `value` so that `config_lib.parse_value` reads it back unchanged.

  Plain strings stay bare (`adam`); strings that would parse as something
  else (`'1e-3'`, `'True'`) and all other values use their python literal.

  Raises:
    ConfigError: the value has no literal form (a numpy scalar, an object).
  """
  text = repr(value)
  if isinstance(value, str):
    parsed = config_lib.parse_value(value)
    if isinstance(parsed, str) and parsed == value:
      text = value
  parsed = config_lib.parse_value(text)
  if type(parsed) is not type(value) or parsed != value:
    raise config_lib.ConfigError(
        f"sweep() value {value!r} for {key!r} cannot be written on a command "
        "line: use a bool, int, float, str, None, or a list/tuple of those."
    )
  return text


def _labels(keys: Sequence[str]) -> dict[str, str]:
  """Shortest dotted suffix of each key that no other key shares."""

  def suffix(key: str, n: int) -> str:
    return ".".join(key.split(".")[-n:])

  labels = {}
  for key in keys:
    parts = key.split(".")
    n = 1
    while n < len(parts) and any(
        suffix(key, n) == suffix(other, n) for other in keys if other != key
    ):
      n += 1
    labels[key] = suffix(key, n)
  return labels


def _name_part(text: str) -> str:
  """A value's text made filesystem-safe: `(224, 224)` -> `224_224`."""
  return re.sub(r"[^A-Za-z0-9.+-]+", "_", text).strip("_") or "empty"


def _short_hash(entry: Mapping[str, Any]) -> str:
  return hashlib.sha1(repr(sorted(entry.items())).encode()).hexdigest()[:8]


def _names(entries: Sequence[Mapping[str, Any]]) -> list[str]:
  """Readable, unique, filesystem-safe names, one per sweep entry."""
  keys = list(dict.fromkeys(k for entry in entries for k in entry))
  labels = _labels(keys)
  names = []
  for entry in entries:
    parts = [
        f"{labels[k]}={_name_part(format_value(k, v))}"
        for k, v in entry.items()
    ]
    name = re.sub(r"[^A-Za-z0-9._=,+-]", "_", ",".join(parts)) or "base"
    if len(name) > _MAX_NAME:
      name = f"{name[:_MAX_NAME - 9]}-{_short_hash(entry)}"
    names.append(name)
  # NOTE: sanitising can map two different values to one name (`a/b` and
  # `a_b`); a hash of the exact overrides keeps those apart, stably.
  counts = collections.Counter(names)
  return [
      f"{name}-{_short_hash(entry)}" if counts[name] > 1 else name
      for name, entry in zip(names, entries)
  ]


def _extra_overrides(extra_args: Sequence[str]) -> list[str]:
  """The `--config.k=v` overrides among `extra_args`, checked."""
  overrides = []
  for arg in extra_args:
    flag = arg.partition("=")[0]
    if flag in ("--config", "--workdir"):
      raise config_lib.ConfigError(
          f"Extra argument {arg!r}: the sweep sets {flag} itself; pass it "
          "before the --."
      )
    if arg.startswith("--config."):
      if "=" not in arg:
        raise config_lib.ConfigError(
            f"Extra argument {arg!r} needs a value: write {arg}=VALUE."
        )
      overrides.append(arg.removeprefix("--config."))
  return overrides


def expand(spec: str, root: str, extra_args: Sequence[str] = ()) -> list[Run]:
  """Expands the `sweep()` of config `spec` into runs under workdir `root`.

  Every run's config (its overrides plus the `--config.k=v` among
  `extra_args`, which are appended to every command) is loaded and validated
  here, before anything runs.

  Raises:
    ConfigError: no/invalid sweep(), an unknown key or a wrong value type in
      any entry, or extra arguments that clash with the sweep.
  """
  if not root.strip("/"):
    raise config_lib.ConfigError(
        f"--workdir {root!r} is empty: give the directory that will hold one "
        "workdir per run, e.g. workdirs/my-sweep or gs://bucket/my-sweep."
    )
  entries = sweep_entries(spec)
  extra_overrides = _extra_overrides(extra_args)
  extra_keys = {o.partition("=")[0] for o in extra_overrides}
  runs = []
  for i, (entry, name) in enumerate(zip(entries, _names(entries))):
    clash = sorted(extra_keys & set(entry))
    if clash:
      raise config_lib.ConfigError(
          f"sweep() entry {i} ({name}) and the extra arguments both set "
          f"{', '.join(clash)}; set each key in one place."
      )
    overrides = [f"{k}={format_value(k, v)}" for k, v in entry.items()]
    try:
      config_lib.load_config(spec, overrides + extra_overrides)
    except config_lib.ConfigError as e:
      raise config_lib.ConfigError(f"sweep() entry {i} ({name}): {e}") from e
    workdir = f"{root.rstrip('/')}/{name}"
    argv = [
        "python",
        "-m",
        "jaxvision.main",
        "train",
        "--config",
        spec,
        "--workdir",
        workdir,
    ]
    argv += [f"--config.{o}" for o in overrides] + list(extra_args)
    runs.append(Run(name=name, overrides=entry, workdir=workdir, argv=argv))
  return runs


def tpu_commands(runs: Sequence[Run], tpus: Sequence[str]) -> list[list[str]]:
  """One `launch/tpu/run.sh` command per run, run i on TPU VM `tpus[i]`.

  With no `tpus`, a single run goes to run.sh's default TPU VM ($TPU_NAME).
  """
  if not tpus and len(runs) > 1:
    raise ValueError(
        f"{len(runs)} runs need {len(runs)} TPU VMs: pass "
        f"--tpus name1,name2,... ({_TPU_ONLY_ONE})."
    )
  if tpus and len(tpus) < len(runs):
    raise ValueError(
        f"{len(runs)} runs but only {len(tpus)} TPU VMs in "
        f"--tpus; {_TPU_ONLY_ONE}."
    )
  commands = []
  for i, run in enumerate(runs):
    session = re.sub(r"[^A-Za-z0-9_-]+", "_", run.name).strip("_")[:60]
    command = [str(RUN_SH)] + (["--name", tpus[i]] if tpus else [])
    commands.append(command + ["--session", session or "run", "--", *run.argv])
  return commands


def _run_local(runs: Sequence[Run], keep_going: bool) -> int:
  """Runs each command here, one after another; returns the exit status."""
  current: subprocess.Popen | None = None
  stopping = forwarded = False

  # NOTE: launch/tpu/stop.sh and preemptions send SIGTERM to this process,
  # not to the training run it started; pass it on so the run saves a
  # checkpoint, then end the sweep.
  def forward_sigterm(signum: int, frame: Any) -> None:
    del signum, frame
    nonlocal stopping, forwarded
    stopping = True
    if current is not None and not forwarded:
      forwarded = True
      current.send_signal(signal.SIGTERM)

  previous = signal.signal(signal.SIGTERM, forward_sigterm)
  failed = []
  try:
    for i, run in enumerate(runs):
      if stopping:
        return EXIT_PREEMPTED
      argv = [
          sys.executable if run.argv[0] == "python" else run.argv[0],
          *run.argv[1:],
      ]
      print(
          f"[sweep {i + 1}/{len(runs)}] {run.name}: {shlex.join(argv)}",
          file=sys.stderr,
          flush=True,
      )
      current = subprocess.Popen(argv)
      if stopping and not forwarded:  # SIGTERM came while it was starting.
        forwarded = True
        current.send_signal(signal.SIGTERM)
      status = current.wait()
      current = None
      if stopping or status == EXIT_PREEMPTED:
        print(
            f"[sweep] stopped during {run.name}; rerun the same command "
            "to resume (finished runs end at once).",
            file=sys.stderr,
        )
        return EXIT_PREEMPTED
      if status != 0:
        failed.append(run.name)
        print(
            f"[sweep] {run.name} failed with exit status {status}.",
            file=sys.stderr,
        )
        if not keep_going:
          return status
  finally:
    signal.signal(signal.SIGTERM, previous)
  if failed:
    print(f"[sweep] failed runs: {', '.join(failed)}", file=sys.stderr)
    return 1
  return 0


def _parse_only(text: str, runs: Sequence[Run]) -> list[Run]:
  """Selects runs by index, e.g. `0,2`, with an error listing the choices."""
  choices = "; ".join(f"{i}: {run.name}" for i, run in enumerate(runs))
  try:
    indices = [int(part) for part in text.split(",")]
  except ValueError:
    raise ValueError(
        f"--only {text!r} must be run indices like 0,2 " f"(runs: {choices})."
    ) from None
  bad = [i for i in indices if not 0 <= i < len(runs)]
  if bad:
    raise ValueError(f"--only: no run {bad[0]}; runs: {choices}.")
  return [runs[i] for i in dict.fromkeys(indices)]


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog="python -m launch.sweep",
      description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter,
  )
  parser.add_argument(
      "--config",
      required=True,
      help="configs/<method>/<file>.py[:arg] with a sweep()",
  )
  parser.add_argument(
      "--workdir",
      required=True,
      help="root directory; run NAME uses WORKDIR/NAME",
  )
  parser.add_argument(
      "--mode", choices=("print", "local", "tpu"), default="print"
  )
  parser.add_argument("--only", help="run only these indices, e.g. 0,2")
  parser.add_argument("--tpus", help="tpu mode: TPU VM names, one per run")
  parser.add_argument(
      "--keep-going",
      action="store_true",
      help="local/tpu mode: go on after a run fails",
  )
  return parser


def main(argv: Sequence[str]) -> int:
  """Command line entry point; returns the exit status."""
  argv = list(argv)
  extra = []
  if "--" in argv:
    split = argv.index("--")
    argv, extra = argv[:split], argv[split + 1 :]
  parser = _parser()
  args = parser.parse_args(argv)
  try:
    runs = expand(args.config, args.workdir, extra)
    if args.only:
      runs = _parse_only(args.only, runs)
    if args.mode == "print":
      for run in runs:
        print(shlex.join(run.argv))
      return 0
    if args.mode == "local":
      return _run_local(runs, args.keep_going)
    tpus = args.tpus.split(",") if args.tpus else []
    commands = tpu_commands(runs, tpus)
  except ValueError as e:  # ConfigError is a ValueError.
    print(f"error: {e}", file=sys.stderr)
    return 2
  config_path = pathlib.PurePosixPath(config_lib.split_spec(args.config)[0])
  if config_path.is_absolute() or ".." in config_path.parts:
    print(
        f"warning: --config {config_path} is read on the TPU VMs, from "
        "the copy of this repository (launch/tpu/copy.sh); give a path "
        "inside it, relative to its root.",
        file=sys.stderr,
    )
  if not args.workdir.startswith("gs://"):
    print(
        f"warning: --workdir {args.workdir} is a path on each TPU VM; "
        "multi-host runs need one every worker sees, like gs://bucket/dir.",
        file=sys.stderr,
    )
  if len(tpus) > len(runs):
    print(
        f"warning: TPU VMs {', '.join(tpus[len(runs):])} get no run.",
        file=sys.stderr,
    )
  status = 0
  for command in commands:
    print(shlex.join(command), file=sys.stderr, flush=True)
    code = subprocess.run(command, check=False).returncode
    if code != 0:
      status = code
      print(
          f"[sweep] starting {command[command.index('--session') + 1]} "
          f"failed with exit status {code}.",
          file=sys.stderr,
      )
      if not args.keep_going:
        break
  return status


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
