r"""LDM feature-extraction time vs one plain UNet forward, as a ratio.

Arms, each jitted once on a fixed random batch with random weights:
  * features: the LDM branch as LD-ZNet runs it, from the scaled latents and
    text context its trainable branch computes anyway (q_sample + UNet up to
    the last requested block) -- the number the goal applies to;
  * pipeline: the whole extraction from pixels and tokens (CLIP text
    encoder + AE encoder + the above), reported for reference: the AE encoder
    alone costs about as much as a UNet pass at high resolution;
  * unet: one plain epsilon forward of the same UNet on the same latents.
Goal (issue): features / unet <= 1.1 (the UNet stops after the last block).
Protocol as benchmarks/reclip_step.py: warm up twice, alternate the arms for
`--rounds` rounds, report min and median per arm and the median ratio.

  python -m benchmarks.ldm_features --size tiny --batch 8 --rounds 5   # CPU
  python -m benchmarks.ldm_features --size sd --batch 8                # GPU/TPU

Prints `name=value` lines and writes a JSON (with versions) to --out.
"""

import argparse
import sys

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import timing
from jaxvision import config_lib
from jaxvision.methods.ldm import features
from jaxvision.models.sd import ldm

CONFIGS = {"tiny": "configs/ldznet/ldm_tiny.py", "sd": "configs/ldznet/ldm.py"}


def _arms(size: str, batch: int, dtype: str, blocks):
  """{name: run()} closures over compiled functions and device inputs."""
  cfg = config_lib.load_config(CONFIGS[size]).ldm
  extractor = features.from_config(cfg)
  extractor = features.Extractor(
      extractor.config,
      tuple(blocks),
      extractor.timesteps,
      extractor.posterior,
      jnp.dtype(dtype),
  )
  arch = extractor.config
  params = jax.jit(lambda r: ldm.init_params(arch, r))(jax.random.key(0))
  rng = np.random.default_rng(0)
  s = cfg.image_size
  latent = s // arch.vae.downsample_factor
  images = jnp.asarray(rng.uniform(-1, 1, (batch, s, s, 3)), jnp.float32)
  tokens = jnp.asarray(
      rng.integers(0, arch.text.vocab_size, (batch, cfg.text_len)), jnp.int32
  )
  keys = features.example_keys(0, np.arange(batch))
  z = jnp.asarray(rng.normal(size=(batch, latent, latent, 4)), jnp.float32)
  t = jnp.full((batch,), 400, jnp.int32)
  context = jnp.asarray(
      rng.normal(size=(batch, cfg.text_len, arch.unet.context_dim)), jnp.float32
  )
  unet_model = ldm.models(arch, jnp.dtype(dtype))[0]
  pipeline = jax.jit(extractor).lower(params, images, tokens, keys).compile()
  feats = (
      jax.jit(extractor.from_latents).lower(params, z, context, keys).compile()
  )
  plain = (
      jax.jit(
          lambda p, z, t, c: unet_model.apply({"params": p["unet"]}, z, t, c)
      )
      .lower(params, z, t, context)
      .compile()
  )
  return {
      "features": lambda: jax.block_until_ready(
          feats(params, z, context, keys)
      ),
      "pipeline": lambda: jax.block_until_ready(
          pipeline(params, images, tokens, keys)
      ),
      "unet": lambda: jax.block_until_ready(plain(params, z, t, context)),
  }


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument(
      "--size",
      choices=tuple(CONFIGS),
      default=None,
      help="tiny (default on CPU) or sd (paper sizes)",
  )
  parser.add_argument("--batch", type=int, default=8)
  parser.add_argument("--blocks", default="6,7,8,9,10")
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument(
      "--dtype",
      default=None,
      help="float32 on CPU (default), bfloat16 on GPU/TPU",
  )
  parser.add_argument("--out", default="ldm_features.json")
  args = parser.parse_args(argv)
  cpu = jax.default_backend() == "cpu"
  size = args.size or ("tiny" if cpu else "sd")
  dtype = args.dtype or ("float32" if cpu else "bfloat16")
  blocks = [int(b) for b in args.blocks.split(",")]
  arms = _arms(size, args.batch, dtype, blocks)
  times = timing.alternate(arms, args.rounds)
  arms = timing.summarize(times)
  ratio = arms["features"]["median_s"] / arms["unet"]["median_s"]
  pipeline_ratio = arms["pipeline"]["median_s"] / arms["unet"]["median_s"]
  result = {
      "size": size,
      "batch": args.batch,
      "blocks": blocks,
      "dtype": dtype,
      **timing.environment(),
      "ratio": ratio,
      "pipeline_ratio": pipeline_ratio,
      "arms": arms,
  }
  print(
      f"features_over_unet={ratio:.3f} goal=1.1 "
      f"{'ok' if ratio <= 1.1 else 'over'}"
  )
  print(f"pipeline_over_unet={pipeline_ratio:.3f}")
  timing.write(result, args.out)
  return 0


if __name__ == "__main__":
  sys.exit(main())
