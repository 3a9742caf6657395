r"""Cost of counting a model's FLOPs with XLA vs running one real forward.

`flops.xla_flops` (what the `flops` command and the FLOP tests use) lowers
and compiles the model from abstract values, so no weights are materialised;
the tests check its counts, and its time is measured here as a ratio, because
an absolute time on a shared machine says little. Arms, ViT at `--size` px,
batch 1:
  * count: `flops.xla_flops(model.apply, abstract params, abstract image)`;
  * forward: one call of the already compiled forward on real weights.
The ratio count / forward says how many forwards one FLOP count costs (it is
compile-bound: large on CPU for small models, small for big ones). Protocol
as benchmarks/reclip_step.py: warm up twice, alternate the arms for
`--rounds` rounds, report min and median per arm and the median ratio.

  python -m benchmarks.flops_count --model L/16 --size 224 --rounds 5

Prints `name=value` lines and writes a JSON (with versions) to --out.
"""

import argparse
import sys

import jax
import jax.numpy as jnp

from benchmarks import timing
from jaxvision.models import flops
from jaxvision.models import vit


def _arms(variant: str, size: int):
  """({arm: run()}, XLA FLOPs of the forward)."""
  grid = size // vit.variant(variant)["patch_size"]
  model = vit.ViT(**vit.variant(variant), posemb_grid=(grid, grid))
  images = jax.ShapeDtypeStruct((1, size, size, 3), jnp.float32)
  abstract = jax.eval_shape(model.init, jax.random.key(0), images)
  params = jax.jit(model.init)(jax.random.key(0), jnp.zeros(images.shape))
  image = jnp.ones(images.shape, images.dtype)
  forward = jax.jit(model.apply).lower(params, image).compile()

  def count():
    return flops.xla_flops(model.apply, abstract, images)

  def run_forward():
    jax.block_until_ready(forward(params, image))

  return {"count": count, "forward": run_forward}, count()


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--model", default="L/16", help="a vit.variant name")
  parser.add_argument("--size", type=int, default=224)
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--out", default="flops_count.json")
  args = parser.parse_args(argv)
  arms, xla = _arms(args.model, args.size)
  times = timing.alternate(arms, args.rounds)
  arms = timing.summarize(times)
  result = {
      "model": args.model,
      "size": args.size,
      "xla_flops": xla,
      **timing.environment(),
      "arms": arms,
  }
  ratio = arms["count"]["median_s"] / arms["forward"]["median_s"]
  result["count_over_forward"] = ratio
  print(f"xla_flops={xla:.6g}")
  print(f"count_over_forward={ratio:.3f}")
  timing.write(result, args.out)
  return 0


if __name__ == "__main__":
  sys.exit(main())
