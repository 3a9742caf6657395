"""Held-out evaluation: anomaly localisation or disentanglement (spec 7).

config.eval.kind:
  anomaly          normal statistics (mu^X, sigma^X) from the *training*
                   (normal) split, then on the test split: pixel AUROC and
                   best IoU pooled over all test pixels, and image AUROC
                   (max of the map), for SA, DA mean, DA fused and the
                   diffmap baseline; PNG grids of the first test images.
  disentanglement  Kim & Mnih metric on the factor grid, mean pairwise
                   attention overlap of the chosen dims and the Bernoulli
                   reconstruction error on a random subset.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision import visualize
from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.data import pipeline
from jaxvision.data import sources
from jaxvision.evaluators import anomaly
from jaxvision.evaluators import disentanglement
from jaxvision.methods.vae_attention import attention
from jaxvision.methods.vae_attention import data
from jaxvision.methods.vae_attention import losses
from jaxvision.methods.vae_attention import maps as maps_lib
from jaxvision.methods.vae_attention import model as model_lib

MAP_KINDS = ("sa", "da_mean", "da_fused", "diffmap")


def _batches(arrays: dict[str, np.ndarray], batch_size: int):
  """In-order padded batches of arrays, plus 'index' and a bool 'valid'
  (False for padding)."""
  arrays = {**arrays, "index": np.arange(len(arrays["image"]), dtype=np.int32)}
  return pipeline.make_eval_iterator(
      sources.ArraySource(arrays),
      pp_fn=lambda example, rng: example,
      batch_size=batch_size,
      mask_key="valid",
  )


def normal_statistics(ctx, runner, arrays) -> tuple[np.ndarray, np.ndarray]:
  """(mu^X, sigma^X): aggregate-posterior moments of the normal train set
  [DEFAULT], or the prior (0, 1) with ndd.normal_stats='prior' (REF-CODE)."""
  kind = ctx.config.ndd.get("normal_stats", "aggregate")
  dims = ctx.config.model.latent_dim
  if kind == "prior":
    return np.zeros(dims, np.float32), np.ones(dims, np.float32)
  if kind != "aggregate":
    raise ValueError(
        f"ndd.normal_stats must be 'aggregate' or 'prior', got " f"{kind!r}."
    )
  mus, variances = [], []
  for batch in _batches({"image": arrays["image"]}, ctx.config.eval.batch_size):
    mu, logvar = runner(batch["image"])
    valid = np.asarray(batch["valid"], bool)
    mus.append(mu[valid])
    variances.append(np.exp(logvar[valid]))
  mu, var = np.concatenate(mus), np.concatenate(variances)
  return (
      mu.mean(0).astype(np.float32),
      np.sqrt(var.mean(0) + mu.var(0)).astype(np.float32),
  )


def save_grid(path: str, images, masks, maps_by_kind) -> str:
  """One row per image: input, GT overlay, then each map as a heat map."""
  rows = []
  for i in range(len(images)):
    gray = visualize.to_uint8(images[i].mean(-1))
    rgb = np.repeat(gray[..., None], 3, -1)
    rows.append(rgb)
    rows.append(visualize.overlay(rgb, masks[i]))
    rows += [heat(rgb, maps_by_kind[kind][i]) for kind in MAP_KINDS]
  big = [np.kron(r, np.ones((4, 4, 1), np.uint8)) for r in rows]
  return visualize.save_png(path, visualize.grid(big, 2 + len(MAP_KINDS)))


def heat(rgb: np.ndarray, values: np.ndarray) -> np.ndarray:
  """A jet heat map blended 50/50 over the image (Grad-CAM style)."""
  colours = visualize.colorize(
      values, "jet", vmin=0.0, vmax=float(max(values.max(), 1e-12))
  )
  return np.round(0.5 * rgb + 0.5 * colours).astype(np.uint8)


def evaluate_anomaly(ctx, params) -> dict[str, float]:
  config = ctx.config
  vae = model_lib.build(config)
  replicated = inference.Replicated(params)
  encode = replicated.jit(
      lambda v, x: vae.apply(v, x, method=model_lib.VAE.encode)
  )
  normal = normal_statistics(
      ctx, encode, data.split_arrays(config.data, "train")
  )
  test = data.split_arrays(config.data, "test")
  # NOTE: one-class MNIST has no pixel masks: image-level AUROC only.
  pixel_level = "mask" in test
  base_key = jax.random.key(config.eval.get("seed", 0))
  mu_x, sigma_x = jnp.asarray(normal[0]), jnp.asarray(normal[1])

  def fn(v, x, index):
    keys = jax.vmap(lambda i: jax.random.fold_in(base_key, i))(index)
    out = maps_lib.image_maps(vae, v, config, x, keys, (mu_x, sigma_x))
    return {k: out[k] for k in MAP_KINDS}

  run = replicated.jit(fn)
  metrics = {
      k: anomaly.Localization(config.eval.get("map_norm", "none"), pixel_level)
      for k in MAP_KINDS
  }
  num_png = config.eval.get("num_png", 0)
  shown = None
  for batch in _batches(test, config.eval.batch_size):
    out = run(batch["image"], batch["index"])
    valid = np.asarray(batch["valid"], bool)
    for kind in MAP_KINDS:
      if not np.all(np.isfinite(out[kind][valid])):
        raise FloatingPointError(f"non-finite {kind} attention maps.")
      metrics[kind].add(out[kind], batch.get("mask"), valid, batch["label"])
    if shown is None and num_png:
      masks = (
          batch["mask"]
          if pixel_level
          else np.zeros(batch["image"].shape[:3], np.uint8)
      )
      shown = (
          batch["image"][:num_png],
          masks[:num_png],
          {k: out[k][:num_png] for k in MAP_KINDS},
      )
  results = {}
  for kind, metric in metrics.items():
    results.update(metric.result(kind))
  if shown is not None and ctx.workdir:
    save_grid(os.path.join(ctx.workdir, "attention", "test_maps.png"), *shown)
  return results


def evaluate_disentanglement(ctx, params) -> dict[str, float]:
  config = ctx.config
  cfg = config.eval
  vae = model_lib.build(config)
  replicated = inference.Replicated(params)
  encode = replicated.jit(
      lambda v, x: vae.apply(v, x, method=model_lib.VAE.encode)[0]
  )
  grid = data.factor_sampler(config.data)
  results = disentanglement.kim_mnih(
      encode,
      grid,
      cfg.get("seed", 0),
      num_train_votes=cfg.train_votes,
      num_eval_votes=cfg.eval_votes,
      batch=cfg.vote_batch,
      num_scale_samples=cfg.scale_samples,
      prune_threshold=cfg.prune_threshold,
  )
  layer = config.attention.target_layer
  dims = jnp.asarray(config.ad.dims)
  base_key = jax.random.key(cfg.get("seed", 0))

  def element_maps(v, x, index):
    """Element SA maps of the ad.dims latent dims: [B, K, h, w]."""
    fn = attention.posterior_fn(maps_lib.head_of(vae, v, layer))
    a = vae.apply(v, x, layer, method=model_lib.VAE.trunk)

    def one(a_i, i):
      jm, js = attention.latent_jacobians(fn, a_i, dims)
      eps = jax.random.normal(
          jax.random.fold_in(base_key, i), (config.model.latent_dim,)
      )[dims]
      return attention.element_maps(
          attention.channel_weights(
              jm, js, eps, config.attention.get("grad_norm", "none")
          ),
          a_i,
          config.attention.get("post", "relu"),
      )

    return jax.vmap(one)(a, index)

  def nll(v, x):
    mu, _ = vae.apply(v, x, method=model_lib.VAE.encode)
    logits = vae.apply(v, mu, method=model_lib.VAE.decode)
    return losses.reconstruction(logits, x, "bernoulli_logits")

  run_maps, run_nll = replicated.jit(element_maps), replicated.jit(nll)
  images, _ = grid.sample(
      cfg.overlap_images, np.random.default_rng(cfg.get("seed", 0) + 1)
  )
  maps = run_maps(images, np.arange(len(images), dtype=np.int32))
  overlaps = [
      attention.overlap(maps[:, p], maps[:, q])
      for p, q in attention.pairs(maps.shape[1])
  ]
  results["attention_overlap"] = float(np.mean(overlaps))
  results["l_ad"] = float(
      np.mean(
          attention.disentanglement_loss(
              jnp.asarray(maps), config.ad.get("ordered_pairs", False)
          )
      )
  )
  results["recon_nll"] = float(np.mean(run_nll(images)))
  results["chance"] = 1.0 / sum(s > 1 for s in grid.factor_sizes)
  return results


def evaluate(ctx: method_lib.StageContext, state) -> dict[str, float]:
  kind = ctx.config.eval.kind
  if kind == "anomaly":
    return evaluate_anomaly(ctx, state.variables("model"))
  if kind == "disentanglement":
    return evaluate_disentanglement(ctx, state.variables("model"))
  raise ValueError(
      f"eval.kind must be 'anomaly' or 'disentanglement', got " f"{kind!r}."
  )
