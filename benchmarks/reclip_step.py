r"""RECLIP low-res train-step time vs the CLIP-224 step, as ratios in one run.

Same model, batch and text length for every arm; only the image size changes.
Each arm is the engine's real jitted train step (donated state, the stage's
optimizer) on a fixed synthetic batch. Protocol (benchmarks/timing.py): warm
up twice, then alternate the arms for `--rounds` rounds; report min and
median per arm, the median-time ratio vs 224 next to XLA's FLOP ratio, and
the efficiency = time ratio / FLOP ratio (goal <= 1.15).

  python -m benchmarks.reclip_step --model S --batch 4 --sizes 64,112  # CPU
  python -m benchmarks.reclip_step --model B --batch 8 --rounds 5
  python -m benchmarks.reclip_step --model L --batch 64  # accelerator

Prints `name=value` lines and writes a JSON (with versions) to --out.
"""

import argparse
import statistics
import sys

import jax
import numpy as np

from benchmarks import timing
from jaxvision import config_lib
from jaxvision.core import metrics
from jaxvision.core import method as method_lib
from jaxvision.core import sharding
from jaxvision.core import train
from jaxvision.methods.reclip import method
from jaxvision.models import vit

# NOTE: S is a CPU-sized proxy (the efficiency goal is stated for B and L);
# the text tower is scaled with the image tower.
TEXT_S = dict(width=384, depth=12, num_heads=6, mlp_dim=1536)
TEXT_B = dict(width=768, depth=12, num_heads=12, mlp_dim=3072)
TEXT_L = dict(width=1024, depth=12, num_heads=16, head_dim=64, mlp_dim=4096)


def _config(model: str, size: int, batch: int, text_len: int, dtype: str):
  config = config_lib.load_config("configs/reclip/reclip.py:size=64")
  config.model.image = vit.variant(f"{model}/16")
  config.model.text = dict(
      {"S": TEXT_S, "B": TEXT_B, "L": TEXT_L}[model], pool="gap_masked"
  )
  config.model.embed_dim = config.model.text.width
  config.model.dtype = dtype
  config.stages = config.stages[:1]
  stage = config.stages[0]
  stage.image_size, stage.text_len, stage.batch_size = size, text_len, batch
  return config_lib.normalize(config)


def _arm(model, size, batch, text_len, dtype):
  """(step fn bound to its state, XLA flops of one step)."""
  config = _config(model, size, batch, text_len, dtype)
  mesh = sharding.make_mesh(config.mesh)
  ctx = method_lib.stage_contexts(config, mesh)[0]
  build = train.build_stage(method.METHOD, ctx)
  state = build.init(train.base_rng(config, 0))
  rng = np.random.default_rng(0)
  batch_arrays = {
      "image": rng.uniform(-1, 1, (batch, size, size, 3)).astype(np.float32),
      "tokens": rng.integers(1, 1000, (batch, text_len)).astype(np.int32),
  }
  batch_arrays = jax.device_put(batch_arrays, sharding.batch_sharding(mesh))
  step = method.METHOD.make_train_step(ctx)

  def step_fn(state, batch):
    new, out = step(state, batch, jax.random.key(0))
    return new.replace(step=state.step + 1), out["loss"]

  jitted = jax.jit(step_fn, donate_argnums=(0,))
  compiled = jitted.lower(state, batch_arrays).compile()
  holder = {"state": state}

  def run():
    holder["state"], loss = compiled(holder["state"], batch_arrays)
    jax.block_until_ready(loss)

  return run, metrics.compiled_flops(compiled) * jax.device_count()


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--model", choices=("S", "B", "L"), default="B")
  parser.add_argument("--batch", type=int, default=8)
  parser.add_argument("--text_len", type=int, default=16)
  parser.add_argument("--sizes", default="64,80,112,224")
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument(
      "--dtype",
      default=None,
      help="float32 on CPU (default), bfloat16 on GPU/TPU",
  )
  parser.add_argument("--out", default="reclip_step.json")
  args = parser.parse_args(argv)
  dtype = args.dtype or (
      "float32" if jax.default_backend() == "cpu" else "bfloat16"
  )
  sizes = [int(s) for s in args.sizes.split(",")]
  if 224 not in sizes:
    sizes.append(224)
  arms = {
      s: _arm(args.model, s, args.batch, args.text_len, dtype) for s in sizes
  }
  times = timing.alternate(
      {s: run for s, (run, _) in arms.items()}, args.rounds
  )
  result = {
      "model": args.model,
      "batch": args.batch,
      "text_len": args.text_len,
      "dtype": dtype,
      **timing.environment(),
      "arms": {},
  }
  base_time = statistics.median(times[224])
  base_flops = arms[224][1]
  for s in sizes:
    median = statistics.median(times[s])
    time_ratio, flop_ratio = median / base_time, arms[s][1] / base_flops
    result["arms"][s] = {
        "median_s": median,
        "min_s": min(times[s]),
        "flops": arms[s][1],
        "time_ratio": time_ratio,
        "flop_ratio": flop_ratio,
        "efficiency": time_ratio / flop_ratio,
    }
    print(
        f"size={s} median_s={median:.4f} min_s={min(times[s]):.4f} "
        f"time_ratio={time_ratio:.3f} flop_ratio={flop_ratio:.3f} "
        f"efficiency={time_ratio / flop_ratio:.3f}"
    )
  timing.write(result, args.out)
  return 0


if __name__ == "__main__":
  sys.exit(main())
