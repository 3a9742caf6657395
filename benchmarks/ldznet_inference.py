r"""Inference time per image of RGBNet, ZNet and LD-ZNet, as ratios to ZNet.

Each arm is the full evaluation-mode forward at equal resolution, as the
chapter times it (section 3.4.4): CLIP text encoder + AE encoder (ZNet,
LD-ZNet; RGBNet uses its RGB stem instead) [+ one frozen LDM UNet pass up to
block 10 + attention pools + CrossAttn_ldm for LD-ZNet] + the segmentation
UNet and mask head, jitted once, random weights, fixed random batch.
Reference (RTX A6000, 384 px): RGBNet 62 ms, ZNet 55 ms, LD-ZNet 101 ms,
i.e. RGBNet/ZNet 1.13 and LD-ZNet/ZNet 1.84.
Protocol as benchmarks/reclip_step.py: warm up twice, alternate the arms for
`--rounds` rounds, report min and median per arm and median ratios.

  python -m benchmarks.ldznet_inference --size tiny --batch 8   # CPU
  python -m benchmarks.ldznet_inference --size sd --batch 1     # GPU/TPU

Prints `name=value` lines and writes a JSON (with versions) to --out.
"""

import argparse
import statistics
import sys

import jax
import numpy as np

from benchmarks import timing
from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import method as method_lib
from jaxvision.methods.ldznet import forward as forward_lib

CONFIGS = {"tiny": "configs/ldznet/smoke.py", "sd": "configs/ldznet/ldznet.py"}
VARIANTS = ("rgbnet", "znet", "ldznet")


def _arm(size: str, variant: str, batch: int, dtype: str):
  """run() over the compiled forward of one variant."""
  config = config_lib.load_config(
      f"{CONFIGS[size]}:{variant}",
      [f"model.dtype={dtype!r}", f"ldm.dtype={dtype!r}"],
  )
  mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("data",))
  ctx = method_lib.stage_contexts(config, mesh)[-1]
  roles = jax.jit(lambda r: methods.get("ldznet").init(ctx, r))(
      jax.random.key(0)
  )
  forward = jax.jit(forward_lib.make_forward(config, training=False))
  rng = np.random.default_rng(0)
  s, length = config.ldm.image_size, config.ldm.text_len
  images = jax.numpy.asarray(
      rng.uniform(-1, 1, (batch, s, s, 3)), jax.numpy.float32
  )
  tokens = jax.numpy.asarray(
      rng.integers(0, 300, (batch, length)), jax.numpy.int32
  )
  keys = jax.random.key_data(jax.random.split(jax.random.key(0), batch))
  compiled = forward.lower(
      roles["net"], roles["ldm"], images, tokens, keys
  ).compile()
  return lambda: jax.block_until_ready(
      compiled(roles["net"], roles["ldm"], images, tokens, keys)
  )


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument(
      "--size",
      choices=tuple(CONFIGS),
      default=None,
      help="tiny (default on CPU) or sd (paper sizes)",
  )
  parser.add_argument("--batch", type=int, default=8)
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument(
      "--dtype",
      default=None,
      help="float32 on CPU (default), bfloat16 on GPU/TPU",
  )
  parser.add_argument("--out", default="ldznet_inference.json")
  args = parser.parse_args(argv)
  cpu = jax.default_backend() == "cpu"
  size = args.size or ("tiny" if cpu else "sd")
  dtype = args.dtype or ("float32" if cpu else "bfloat16")
  arms = {v: _arm(size, v, args.batch, dtype) for v in VARIANTS}
  times = timing.alternate(arms, args.rounds)
  medians = {name: statistics.median(v) for name, v in times.items()}
  ratios = {f"{v}_over_znet": medians[v] / medians["znet"] for v in VARIANTS}
  result = {
      "size": size,
      "batch": args.batch,
      "dtype": dtype,
      **timing.environment(),
      "ratios": ratios,
      "paper_ratios": {
          "rgbnet_over_znet": 62 / 55,
          "ldznet_over_znet": 101 / 55,
      },
      "arms": {
          name: {
              "median_s": medians[name],
              "min_s": min(v),
              "ms_per_image": 1e3 * medians[name] / args.batch,
          }
          for name, v in times.items()
      },
  }
  for name, v in times.items():
    print(
        f"arm={name} median_s={medians[name]:.4f} min_s={min(v):.4f} "
        f"ms_per_image={1e3 * medians[name] / args.batch:.2f}"
    )
  for name, ratio in ratios.items():
    print(f"{name}={ratio:.3f}")
  print("paper_rgbnet_over_znet=1.127 paper_ldznet_over_znet=1.836")
  timing.write(result, args.out)
  return 0


if __name__ == "__main__":
  sys.exit(main())
