r"""Compile time of the RECLIP train step vs depth, with and without nn.scan.

`model.scan=True` runs each tower's blocks as one `nn.scan`, so XLA compiles
one block body whatever the depth; unrolled blocks make the program (and the
compile) grow with depth. This compiles THE engine train step (`aot` path)
of the RECLIP-64 two-tower at full width for a TPU slice, without a TPU, at
several depths, alternating the arms (benchmarks/timing.py), and reports
compile seconds and their ratios measured in one run.

  python -m benchmarks.aot_scan_compile --depths 2,8,24 --rounds 1 \
      --topology v3-8 --batch 64
"""

import argparse
import os
import statistics

os.environ.setdefault("JAX_PLATFORMS", "cpu")

from benchmarks import timing  # pylint: disable=g-import-not-at-top
from jaxvision import aot  # pylint: disable=g-import-not-at-top
from jaxvision import config_lib  # pylint: disable=g-import-not-at-top
from jaxvision import methods  # pylint: disable=g-import-not-at-top
from jaxvision.core import method as method_lib  # pylint: disable=g-import-not-at-top
from jaxvision.core import sharding  # pylint: disable=g-import-not-at-top
from jaxvision.core import train as train_lib  # pylint: disable=g-import-not-at-top
from jaxvision.tpu import chips  # pylint: disable=g-import-not-at-top


def _compile_fn(depth: int, scan: bool, mesh, batch: int):
  config = config_lib.load_config(
      "configs/reclip/reclip.py:size=64,no_finetune",
      [
          f"model.image.depth={depth}",
          f"model.text.depth={depth // 2 or 1}",
          f"model.scan={scan}",
          f"stages.0.batch_size={batch}",
      ],
  )
  method = methods.get(config.method)
  ctx = method_lib.stage_contexts(config, mesh)[0]

  def run():
    build = train_lib.build_stage(method, ctx)
    train_lib.jit_train_step(build).lower(
        build.abstract.replace(frozen={}),
        build.abstract.frozen,
        method.abstract_batch(ctx),
    ).compile()

  return run


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--depths", default="2,8,24")
  parser.add_argument("--rounds", type=int, default=1)
  parser.add_argument("--topology", default="v3-8")
  parser.add_argument("--batch", type=int, default=64)
  parser.add_argument("--out", default="aot_scan_compile.json")
  args = parser.parse_args()
  slice_ = chips.resolve(args.topology)
  mesh = sharding.make_mesh(None, aot.topology_devices(slice_))
  depths = [int(d) for d in args.depths.split(",")]
  arms = {
      (d, scan): _compile_fn(d, scan, mesh, args.batch)
      for d in depths
      for scan in (False, True)
  }
  # NOTE: no warm-up: each call compiles anew (jit caches per function
  # object, and every call builds a new step function).
  times = timing.alternate(arms, args.rounds, warmup=0)
  median = {k: statistics.median(v) for k, v in times.items()}
  result = {
      "topology": slice_.topology,
      "batch": args.batch,
      "rounds": {f"depth{d}_scan{s}": v for (d, s), v in times.items()},
      "environment": timing.environment(),
      "load": os.getloadavg(),
  }
  for d in depths:
    unrolled, scanned = median[(d, False)], median[(d, True)]
    print(
        f"depth={d} compile_s_unrolled={unrolled:.1f} "
        f"compile_s_scan={scanned:.1f} scan_over_unrolled="
        f"{scanned / unrolled:.3f}",
        flush=True,
    )
    result[f"depth{d}"] = {"unrolled": unrolled, "scan": scanned}
  first, last = depths[0], depths[-1]
  for scan in (False, True):
    growth = median[(last, scan)] / median[(first, scan)]
    print(
        f"scan={str(scan).lower()} compile_growth_depth{last}_over_"
        f"depth{first}={growth:.3f}",
        flush=True,
    )
  print(f"load={os.getloadavg()}")
  timing.write(result, args.out)


if __name__ == "__main__":
  main()
