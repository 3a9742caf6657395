"""Command line: train / eval / predict / params / flops / prepare-data.

  python -m jaxvision.main train --config configs/reclip/smoke.py --workdir W \
      [--config.stages.0.steps=100 ...]
  python -m jaxvision.main eval --config C --workdir W
  python -m jaxvision.main predict --config C --workdir W [method args ...]
  python -m jaxvision.main params --config C      # total_params=N ...
  python -m jaxvision.main flops --config C       # gflops_per_example=X ...
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
import sys
from typing import Sequence

EXIT_PREEMPTED = 143  # 128 + SIGTERM: the run stopped early, resume it.


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog="python -m jaxvision.main", description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter)
  sub = parser.add_subparsers(dest="command", required=True)
  for name in ("train", "eval", "predict", "params", "flops"):
    p = sub.add_parser(name)
    p.add_argument("--config", required=True,
                   help="configs/<method>/<file>.py[:arg]")
    needs_workdir = name in ("train", "eval", "predict")
    p.add_argument("--workdir", required=needs_workdir,
                   help="where checkpoints and metrics live")
    p.add_argument("--distributed", choices=("auto", "on", "off"),
                   default="auto",
                   help="call jax.distributed.initialize(): 'auto' does so "
                   "when JAX_COORDINATOR_ADDRESS is set or on a multi-host TPU")
  prep = sub.add_parser("prepare-data")
  prep.add_argument("--dataset", required=True)
  prep.add_argument("--data_dir", required=True)
  convert = sub.add_parser("convert", help="published weights -> Flax params")
  convert.add_argument("kind", choices=("sd-v1",))
  convert.add_argument("--src", required=True,
                       help="single-file .ckpt/.safetensors or diffusers dir")
  convert.add_argument("--dst", required=True)
  convert.add_argument("--weights", choices=("raw", "ema"), default="raw",
                       help="single files: model.diffusion_model.* or the "
                       "model_ema.* UNet of *-full-ema files")
  convert.add_argument("--num_heads", type=int, default=8,
                       help="single files: UNet heads (not stored; SD v1: 8)")
  convert.add_argument("--tokenizer", default=None,
                       help="vocab to copy to DST (default: found next to src)")
  extract = sub.add_parser("extract-features")
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
      overrides.append(arg[len("--config."):])
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
    missing = [v for v in ("JAX_NUM_PROCESSES", "JAX_PROCESS_ID")
               if v not in os.environ]
    if missing:
      raise ValueError(f"JAX_COORDINATOR_ADDRESS is set but {missing} are "
                       "not: set all three, or --distributed=off.")
    jax.distributed.initialize(
        coordinator_address=address,
        num_processes=int(os.environ["JAX_NUM_PROCESSES"]),
        process_id=int(os.environ["JAX_PROCESS_ID"]))
  else:
    jax.distributed.initialize()
  logging.info("jax.distributed: process %d of %d, %d local / %d devices.",
               jax.process_index(), jax.process_count(),
               jax.local_device_count(), jax.device_count())


def run(argv: Sequence[str]) -> int:
  """Runs one command; returns the exit code."""
  args, rest = _parser().parse_known_args(argv)
  if args.command == "prepare-data":
    from jaxvision.data import sources  # pylint: disable=g-import-not-at-top
    if rest:
      raise SystemExit(f"error: unknown arguments {rest}")
    path = sources.prepare(args.dataset, args.data_dir)
    print(f"prepared={path}")
    return 0
  if args.command == "convert":
    from jaxvision import commands  # pylint: disable=g-import-not-at-top
    if rest:
      raise SystemExit(f"error: unknown arguments {rest}")
    return commands.convert(args)
  overrides, others = _split_overrides(rest)
  if others and args.command != "predict":
    raise SystemExit(f"error: unknown arguments {others}; config overrides "
                     "look like --config.key=value")
  from jaxvision import commands  # pylint: disable=g-import-not-at-top
  from jaxvision import config_lib  # pylint: disable=g-import-not-at-top
  config = config_lib.load_config(args.config, overrides)
  if args.command == "extract-features":
    return commands.extract_features(config, args.out)
  _maybe_initialize_distributed(args.distributed)
  return commands.COMMANDS[args.command](config, args.workdir, others)


def main(argv: Sequence[str] | None = None) -> int:
  logging.basicConfig(level=os.environ.get("JAXVISION_LOG_LEVEL", "WARNING"),
                      format="%(levelname)s %(name)s: %(message)s")
  from jaxvision import errors  # pylint: disable=g-import-not-at-top
  try:
    return run(sys.argv[1:] if argv is None else argv)
  except errors.USER_ERRORS as e:
    if os.environ.get("JAXVISION_DEBUG"):
      raise
    print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
    return errors.exit_code(e)


if __name__ == "__main__":
  sys.exit(main())
