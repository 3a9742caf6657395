r"""Runs a method's paper claims over paired seeds and prints one line each.

  python -m benchmarks.claims reclip [--seeds 3] [--quick] [--json PATH]
  python -m benchmarks.claims akd --seeds 3
  python -m benchmarks.claims --write-docs workdirs/claims/reclip.json \
      workdirs/claims/akd.json          # renders the table in docs/claims.md

Each line is `claim=<name> metric=<m> a=<mean±std> b=<mean±std>
effect=<mean paired difference a-b> ci95=[lo,hi] holds=<true|false>`; the
JSON (default workdirs/claims/<method>.json) keeps the per-seed values,
versions, commit and wall time. Seed i trains both arms with model seed i on
the same data (benchmarks/claims/common.py has the statistics).
"""

import argparse
import os
import sys
import time

from benchmarks.claims import docs
from benchmarks.claims import registry

ROOT = "workdirs/claims"


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog="python -m benchmarks.claims",
      description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter,
  )
  parser.add_argument(
      "method", nargs="?", help=f"one of {', '.join(registry.METHODS)}"
  )
  parser.add_argument(
      "--seeds", type=int, default=3, help="paired seeds (default 3)"
  )
  parser.add_argument(
      "--quick",
      action="store_true",
      help="one seed, a shorter schedule (the extended test)",
  )
  parser.add_argument(
      "--json", default="", help=f"output JSON (default {ROOT}/<method>.json)"
  )
  parser.add_argument(
      "--write-docs",
      nargs="+",
      metavar="JSON",
      help="render these runs' JSON into docs/claims.md",
  )
  return parser


def main(argv=None) -> int:
  args = _parser().parse_args(argv)
  if args.write_docs:
    print(f"wrote={docs.write(args.write_docs)}")
    return 0
  if args.method not in registry.METHODS:
    print(
        f"error: unknown method {args.method!r}; implemented: "
        f"{', '.join(registry.METHODS)}",
        file=sys.stderr,
    )
    return 2
  if args.seeds < 1:
    print(f"error: --seeds must be >= 1, got {args.seeds}", file=sys.stderr)
    return 2
  # pylint: disable=g-import-not-at-top
  from benchmarks.claims import common

  module = registry.load(args.method)
  seeds = 1 if args.quick else args.seeds
  root = os.path.join(ROOT, args.method + ("_quick" if args.quick else ""))
  start = time.monotonic()
  env = common.environment()  # the commit the run started from
  per_seed = []
  for seed in range(seeds):
    per_seed.append(module.run_seed(seed, args.quick, root))
    print(f"seed={seed} done wall_s={time.monotonic() - start:.0f}", flush=True)
  summaries = [
      common.summarize(
          claim,
          [s["a"][claim.metric] for s in per_seed],
          [s["b"][claim.metric] for s in per_seed],
      )
      for claim in module.CLAIMS
  ]
  for summary in summaries:
    print(common.line(summary), flush=True)
  path = args.json or os.path.join(
      ROOT, args.method + ("_quick" if args.quick else "") + ".json"
  )
  common.write_json(
      path,
      common.record(
          args.method,
          seeds,
          args.quick,
          per_seed,
          summaries,
          time.monotonic() - start,
          env,
      ),
  )
  print(f"json={path} wall_s={time.monotonic() - start:.0f}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
