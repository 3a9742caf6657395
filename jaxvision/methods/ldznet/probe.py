"""The block x timestep probing study of seed 000 Fig. 3.4 (spec 3.8).

For every spatial-attention block k in `probe.blocks` and timestep t in
`probe.timesteps`, a light decoder (2 x [conv3x3 -> width, GroupNorm, SiLU],
conv1x1 -> 1, bilinear up-sampling to the image) learns the phrase mask
from the frozen LDM's F_k(z_t, text). All decoders train together in one
jitted step (they share the frozen passes: one UNet pass per t serves every
block; their parameters are disjoint, so the summed loss trains each one as
if alone). Evaluation writes the held-out AP grid to the workdir as a table
(`probe_ap.csv`, `probe_ap.md`) and a heat map (`probe_ap.png`), and returns
every cell plus the best (block, t).

  python -m jaxvision.main train --config configs/ldznet/probe.py \
      --workdir workdirs/ldznet_probe --config.ldm.weights=weights/sd14 \
      --config.data.root=data/VGPhraseCut_v0 \
      --config.eval.datasets.phrasecut.root=data/VGPhraseCut_v0
"""

import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxvision import visualize
from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.evaluators import segmentation
from jaxvision.methods.ldm import features
from jaxvision.methods.ldm import frozen
from jaxvision.methods.ldznet import data as data_lib
from jaxvision.methods.ldznet import forward as forward_lib
from jaxvision.models.sd import layers
from jaxvision.models.sd import schedule as schedule_lib


class Decoder(nn.Module):
  """2 x (conv3x3 -> width, GN, SiLU), conv1x1 -> 1, bilinear to `size`."""

  width: int
  groups: int
  size: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = x.astype(jnp.float32)
    for i in range(2):
      x = layers.conv(self.width, 3, f"conv_{i}", jnp.float32)(x)
      x = nn.silu(layers.group_norm(self.groups, 1e-5, f"norm_{i}")(x))
    x = layers.conv(1, 1, "conv_out", jnp.float32)(x)
    x = jax.image.resize(x, (x.shape[0], self.size, self.size, 1), "bilinear")
    return x[..., 0]


def cells(config) -> list[tuple[int, int]]:
  return [(k, t) for k in config.probe.blocks for t in config.probe.timesteps]


def _name(k: int, t: int) -> str:
  return f"b{k}_t{t}"


def _decoder(config) -> Decoder:
  return Decoder(config.probe.width, config.probe.groups, config.ldm.image_size)


def make_probe_forward(config):
  """fn(probe_params, ldm, images, tokens, keys) -> {cell name: logits}."""
  ext = forward_lib.extractor(config, training=False)
  ext = features.Extractor(
      ext.config,
      tuple(config.probe.blocks),
      ext.timesteps,
      ext.posterior,
      ext.dtype,
  )
  decoder = _decoder(config)
  timesteps = tuple(config.probe.timesteps)

  def forward(probes, ldm, images, tokens, keys):
    features.check_inputs(ext.config, images, tokens, keys)
    z, context = ext.encode(ldm, images, tokens, keys)
    out = {}
    for t in timesteps:
      t_batch = jnp.full((images.shape[0],), t, jnp.int32)
      feats = ext.from_latents(ldm, z, context, keys, t_batch)
      for k in config.probe.blocks:
        name = _name(k, t)
        out[name] = decoder.apply({"params": probes[name]}, feats[k])
    return out

  return forward


def init(ctx: method_lib.StageContext, rng: jax.Array) -> dict:
  config = ctx.config
  ldm_rng, probe_rng = jax.random.split(rng)
  ldm = frozen.init(config.ldm, ldm_rng)
  ext = features.Extractor(
      forward_lib.extractor(config, True).config, tuple(config.probe.blocks)
  )
  shapes = ext.feature_shapes(config.ldm.image_size)
  decoder = _decoder(config)
  probes = {}
  for i, (k, t) in enumerate(cells(config)):
    probes[_name(k, t)] = decoder.init(
        jax.random.fold_in(probe_rng, i), jnp.zeros((1, *shapes[k]))
    )["params"]
  return {"probes": probes, "ldm": ldm}


def make_train_step(ctx: method_lib.StageContext):
  return forward_lib.bce_train_step(
      make_probe_forward(ctx.config), ctx.config.seed, role="probes"
  )


def evaluate(ctx: method_lib.StageContext, state) -> dict[str, float]:
  """Held-out AP per (block, t) on the first configured eval dataset; writes
  the grid (CSV and Markdown tables, heat-map PNG) to the workdir."""
  config = ctx.config
  forward = make_probe_forward(config)
  run = inference.Replicated(
      {
          "probes": jax.device_get(state.params["probes"]),
          "ldm": jax.device_get(state.frozen["ldm"]),
      }
  ).jit(
      lambda p, *batch: jax.tree.map(
          jax.nn.sigmoid, forward(p["probes"], p["ldm"], *batch)
      )
  )
  name = data_lib.eval_names(config)[0]
  metrics = {
      _name(k, t): segmentation.FixedThresholdMetrics()
      for k, t in cells(config)
  }
  seen = 0
  for batch in data_lib.make_eval_data(config, name, config.eval.batch_size):
    valid = np.asarray(batch["valid"], bool)
    keys = np.asarray(
        features.example_keys(
            config.eval.seed, np.arange(seen, seen + len(valid))
        )
    )
    seen += len(valid)
    probs = run(batch["image"], batch["tokens"], keys)
    for cell, m in metrics.items():
      m.add(probs[cell][valid], np.asarray(batch["mask"])[valid])
  blocks, timesteps = list(config.probe.blocks), list(config.probe.timesteps)
  grid = np.array(
      [[metrics[_name(k, t)].result()["ap"] for t in timesteps] for k in blocks]
  )
  if ctx.workdir:
    write_grid(ctx.workdir, grid, blocks, timesteps)
  best = np.unravel_index(np.argmax(grid), grid.shape)
  results = {
      f"{name}/ap_{_name(k, t)}": float(grid[i, j])
      for i, k in enumerate(blocks)
      for j, t in enumerate(timesteps)
  }
  return results | {
      "best_block": float(blocks[best[0]]),
      "best_t": float(timesteps[best[1]]),
      "best_ap": float(grid.max()),
  }


def write_grid(workdir: str, grid: np.ndarray, blocks, timesteps) -> None:
  """probe_ap.csv, probe_ap.md (the table) and probe_ap.png (the heat map
  with values, Fig. 3.4's layout: blocks x timesteps)."""
  os.makedirs(workdir, exist_ok=True)
  header = ["block"] + [f"t={t}" for t in timesteps]
  rows = [[str(k)] + [f"{v:.4f}" for v in row] for k, row in zip(blocks, grid)]
  with open(os.path.join(workdir, "probe_ap.csv"), "w", encoding="utf-8") as f:
    f.write("\n".join(",".join(r) for r in [header] + rows) + "\n")
  with open(os.path.join(workdir, "probe_ap.md"), "w", encoding="utf-8") as f:
    f.write(
        "\n".join(
            "| " + " | ".join(r) + " |"
            for r in [header, ["---"] * len(header)] + rows
        )
        + "\n"
    )
  visualize.table_png(
      os.path.join(workdir, "probe_ap.png"),
      grid,
      [f"block {k}" for k in blocks],
      [f"t={t}" for t in timesteps],
      title="held-out AP of LDM-feature probes",
      xlabel="timestep t",
      ylabel="spatial-attention block",
  )


def check_timesteps(timesteps) -> None:
  bad = [t for t in timesteps if not 0 <= t < schedule_lib.NUM_TIMESTEPS]
  if bad:
    raise ValueError(
        f"probe.timesteps {bad} out of range: t is 0-indexed "
        "(use 999 for Fig. 3.4's t = 1000, pitfall 2)."
    )


def make_train_data(ctx: method_lib.StageContext, seed: int):
  check_timesteps(ctx.config.probe.timesteps)
  return data_lib.make_train_data(ctx, seed)


METHOD = method_lib.Method(
    name="ldznet_probe",
    init=init,
    make_train_step=make_train_step,
    make_train_data=make_train_data,
    evaluate=evaluate,
)
