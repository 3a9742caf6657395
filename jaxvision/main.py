r"""Command line: train / eval / predict / params / flops / aot / configs / ...

  python -m jaxvision.main train --config configs/reclip/smoke.py --workdir W \
      [--config.stages.0.steps=100 ...]
  python -m jaxvision.main eval --config C --workdir W
  python -m jaxvision.main predict --config C --workdir W [method args ...]
  python -m jaxvision.main params --config C      # total_params=N ...
  python -m jaxvision.main flops --config C       # gflops_per_example=X ...
  python -m jaxvision.main aot --config configs/reclip/reclip.py:size=64 \
      --topology v3-256                          # fits=true|false per stage
  python -m jaxvision.main configs [METHOD]       # every config, its options
  python -m jaxvision.main reproduce --list       # tables/figures -> commands
  python -m jaxvision.main prepare-data --dataset shapes_captions --data_dir D
  python -m jaxvision.main convert sd-v1 --src sd-v1-4.ckpt --dst DIR
  python -m jaxvision.main extract-features --config configs/ldznet/ldm.py \
      --out DIR [--config.key=value ...]

Results are printed as `name=value` lines. User errors (bad config keys or
values, missing files, checkpoint/architecture mismatch, NaN) print one clear
message and exit non-zero; set JAXVISION_DEBUG=1 for the traceback.
"""

import argparse
import logging
import os
import shlex
import sys
from typing import Sequence

# NOTE: only light modules at the top (config_lib needs ml_collections only):
# jax, the engine and the methods are imported inside the commands that need
# them, so `--help` and argument or config errors answer in well under 3 s.
from jaxvision import config_lib
from jaxvision import errors
from jaxvision import user_errors

EXIT_PREEMPTED = errors.EXIT_PREEMPTED  # launch/sweep.py resumes on it.

OVERRIDES_HELP = """\
config overrides (any number, after the other arguments):
  --config.KEY=VALUE    sets an existing key of the loaded config; nested keys
                        and list items are dotted, VALUE is a python literal
                        (else a string). Unknown keys and wrongly typed values
                        are rejected with the list of valid keys. Example:
    --config.stages.0.steps=100 --config.stages.1.optim.lr=3e-4 \\
        --config.data.root=/data/celeba --config.log_every=10
"""

_HELP = {
    "train": "train every stage of a config; resumes from the workdir's "
    "newest checkpoint",
    "eval": "evaluate the workdir's newest checkpoint",
    "predict": "run the method's predict command on the newest checkpoint",
    "params": "parameter counts per stage and role",
    "flops": "forward multiply-adds per example of each stage, from XLA",
    "aot": "compile every stage's train step for a TPU slice without a TPU "
    "(deviceless AOT); prints memory, FLOPs, collectives, "
    "fits=true|false",
    "configs": "list every config under configs/: its options, purpose and "
    "run command",
    "report": "write <workdir>/report.html: curves, final metrics and the "
    "run's figures in one self-contained page",
    "reproduce": "the reproduction map: which command runs each table/figure "
    "of the two dissertations",
}


def _config_parser(sub, name: str) -> argparse.ArgumentParser:
  """A subcommand that loads `--config` and takes `--config.*` overrides."""
  p = sub.add_parser(
      name,
      help=_HELP[name],
      description=_HELP[name],
      epilog=OVERRIDES_HELP,
      formatter_class=argparse.RawDescriptionHelpFormatter,
  )
  p.add_argument(
      "--config",
      required=True,
      help="configs/<method>/<file>.py[:arg] (see the `configs` "
      "command for the args each file takes)",
  )
  return p


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog="python -m jaxvision.main",
      description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter,
  )
  sub = parser.add_subparsers(dest="command", required=True)
  for name in ("train", "eval", "predict", "params", "flops"):
    p = _config_parser(sub, name)
    needs_workdir = name in ("train", "eval", "predict")
    p.add_argument(
        "--workdir",
        required=needs_workdir,
        help="where checkpoints and metrics live",
    )
    p.add_argument(
        "--distributed",
        choices=("auto", "on", "off"),
        default="auto",
        help="call jax.distributed.initialize(): 'auto' does so "
        "when JAX_COORDINATOR_ADDRESS is set or on a multi-host TPU",
    )
  aot = _config_parser(sub, "aot")
  aot.add_argument(
      "--topology",
      default=None,
      help="TPU slice to compile for, e.g. v3-256 (default: the "
      "config's target)",
  )
  aot.add_argument(
      "--json", default=None, help="also write the report as JSON to this file"
  )
  catalog = sub.add_parser(
      "configs", help=_HELP["configs"], description=_HELP["configs"]
  )
  catalog.add_argument(
      "method",
      nargs="?",
      default=None,
      help="only this method's folder (e.g. reclip)",
  )
  reproduce = sub.add_parser(
      "reproduce", help=_HELP["reproduce"], description=_HELP["reproduce"]
  )
  reproduce.add_argument(
      "--list",
      action="store_true",
      help="list the tables/figures and their commands",
  )
  run_report = sub.add_parser(
      "report", help=_HELP["report"], description=_HELP["report"]
  )
  run_report.add_argument(
      "--workdir", required=True, help="the workdir of a train run"
  )
  run_report.add_argument(
      "--out",
      default=None,
      help="where to write (default: WORKDIR/report.html)",
  )
  prep = sub.add_parser(
      "prepare-data",
      help="generate a synthetic dataset or run a TFDS "
      "builder into array_record",
  )
  prep.add_argument("--dataset", required=True)
  prep.add_argument("--data_dir", required=True)
  convert = sub.add_parser("convert", help="published weights -> Flax params")
  convert.add_argument("kind", choices=("sd-v1",))
  convert.add_argument(
      "--src",
      required=True,
      help="single-file .ckpt/.safetensors or diffusers dir",
  )
  convert.add_argument("--dst", required=True)
  convert.add_argument(
      "--weights",
      choices=("raw", "ema"),
      default="raw",
      help="single files: model.diffusion_model.* or the "
      "model_ema.* UNet of *-full-ema files",
  )
  convert.add_argument(
      "--num_heads",
      type=int,
      default=8,
      help="single files: UNet heads (not stored; SD v1: 8)",
  )
  convert.add_argument(
      "--tokenizer",
      default=None,
      help="vocab to copy to DST (default: found next to src)",
  )
  extract = sub.add_parser(
      "extract-features",
      help="cache a frozen model's features (ldm, " "ldznet)",
      epilog=OVERRIDES_HELP,
      formatter_class=argparse.RawDescriptionHelpFormatter,
  )
  extract.add_argument("--config", required=True)
  extract.add_argument("--out", required=True)
  return parser


def _split_overrides(rest: Sequence[str]) -> tuple[list[str], list[str]]:
  """`--config.a.b=v` (or `--config.a.b v`) overrides, and the other args."""
  overrides, others, i = [], [], 0
  while i < len(rest):
    arg = rest[i]
    if arg.startswith("--config."):
      if "=" not in arg:
        if i + 1 >= len(rest):
          raise SystemExit(f"error: {arg} needs a value (--config.key=value)")
        arg, i = f"{arg}={rest[i + 1]}", i + 1
      overrides.append(arg[len("--config.") :])
    else:
      others.append(arg)
    i += 1
  return overrides, others


def _maybe_initialize_distributed(mode: str) -> None:
  import jax  # pylint: disable=g-import-not-at-top

  address = os.environ.get("JAX_COORDINATOR_ADDRESS")
  multi_host_tpu = "," in os.environ.get("TPU_WORKER_HOSTNAMES", "")
  if mode == "off" or (mode == "auto" and not (address or multi_host_tpu)):
    return
  if address:
    missing = [
        v
        for v in ("JAX_NUM_PROCESSES", "JAX_PROCESS_ID")
        if v not in os.environ
    ]
    if missing:
      raise user_errors.InputError(
          user_errors.message(
              f"JAX_COORDINATOR_ADDRESS is set but {missing} are not",
              "the environment",
              "set all three, or pass --distributed=off",
          )
      )
    jax.distributed.initialize(
        coordinator_address=address,
        num_processes=int(os.environ["JAX_NUM_PROCESSES"]),
        process_id=int(os.environ["JAX_PROCESS_ID"]),
    )
  else:
    jax.distributed.initialize()
  logging.info(
      "jax.distributed: process %d of %d, %d local / %d devices.",
      jax.process_index(),
      jax.process_count(),
      jax.local_device_count(),
      jax.device_count(),
  )


def _no_extra_args(rest: Sequence[str]) -> None:
  if rest:
    raise SystemExit(f"error: unknown arguments {list(rest)}")


def run(argv: Sequence[str]) -> int:
  """Runs one command; returns the exit code."""
  args, rest = _parser().parse_known_args(argv)
  # pylint: disable=g-import-not-at-top
  if args.command == "configs":
    from jaxvision import config_catalog

    _no_extra_args(rest)
    return config_catalog.command(args.method)
  if args.command == "reproduce":
    from jaxvision import reproduce

    _no_extra_args(rest)
    return reproduce.command(list_only=args.list)
  if args.command == "report":
    from jaxvision import report

    _no_extra_args(rest)
    return report.command(args.workdir, args.out)
  if args.command == "prepare-data":
    from jaxvision.data import sources

    _no_extra_args(rest)
    path = sources.prepare(args.dataset, args.data_dir)
    print(f"prepared={path}")
    return 0
  if args.command == "convert":
    from jaxvision import commands

    _no_extra_args(rest)
    return commands.convert(args)
  overrides, others = _split_overrides(rest)
  if others and args.command != "predict":
    raise SystemExit(
        f"error: unknown arguments {others}; config overrides "
        "look like --config.key=value"
    )
  config = config_lib.load_config(args.config, overrides)
  if args.command == "aot":
    # NOTE: the TPU is only described (libtpu), never opened: JAX's own
    # backend stays the CPU, also where libtpu would try to claim a TPU.
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    from jaxvision import aot

    return aot.command(config, topology=args.topology, json_path=args.json)
  if args.command == "train":
    # Before jax starts or anything is written or compiled: every missing
    # input file is reported at once.
    from jaxvision import config_paths

    config_paths.check(config, config_lib.load_module(args.config).__doc__)
  from jaxvision import commands

  if args.command == "extract-features":
    return commands.extract_features(config, args.out)
  _maybe_initialize_distributed(args.distributed)
  if args.command == "train":
    command_line = shlex.join(["python", "-m", "jaxvision.main", *argv])
    return commands.train(config, args.workdir, command_line=command_line)
  return commands.COMMANDS[args.command](config, args.workdir, others)


def main(argv: Sequence[str] | None = None) -> int:
  logging.basicConfig(
      level=os.environ.get("JAXVISION_LOG_LEVEL", "WARNING"),
      format="%(levelname)s %(name)s: %(message)s",
  )
  try:
    return run(sys.argv[1:] if argv is None else argv)
  except Exception as e:  # pylint: disable=broad-except
    code = errors.exit_code(e)  # None for a bug: re-raised below
    if code is None or os.environ.get("JAXVISION_DEBUG"):
      raise
    if isinstance(e, user_errors.InputError):
      print(f"error: {e}", file=sys.stderr)  # says what and how to fix it
    else:
      print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
    return code


if __name__ == "__main__":
  sys.exit(main())
