"""VAE attention as plain functions on the engine (spec: vae_attention.md).

Roles: "model" is the VAE (for the MVTec ResNet net with its BatchNorm
statistics as model state); FactorVAE families add a "disc" role (the
total-correlation discriminator) with its own optimizer.
"""

import argparse
import os

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from jaxvision import visualize
from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.core import state as state_lib
from jaxvision.methods.vae_attention import data
from jaxvision.methods.vae_attention import evaluate as evaluate_lib
from jaxvision.methods.vae_attention import maps as maps_lib
from jaxvision.methods.vae_attention import model as model_lib
from jaxvision.methods.vae_attention import steps


def _dummy(ctx, batch: int = 1):
  shape = tuple(ctx.config.model.image_shape)
  return (
      jnp.zeros((batch,) + shape, jnp.float32),
      jnp.zeros((batch, ctx.config.model.latent_dim), jnp.float32),
  )


def _variables(ctx, rng):
  """{role: flax variables}: the VAE and, for FactorVAE, the discriminator."""
  vae_key, disc_key = jax.random.split(rng)
  x, eps = _dummy(ctx)
  roles = {"model": model_lib.build(ctx.config).init(vae_key, x, eps)}
  if steps.is_factor(ctx.config):
    disc = model_lib.build_discriminator(ctx.config)
    roles["disc"] = disc.init(disc_key, eps)
  return roles


def init(ctx, rng):
  return state_lib.split_variables(_variables(ctx, rng))


def make_train_step(ctx):
  return steps.make_train_step(ctx.config)


def flops_fns(ctx):
  """One image through the VAE, and its attention maps (SA + DA)."""
  config = ctx.config
  vae = model_lib.build(config)
  variables = jax.eval_shape(lambda: _variables(ctx, jax.random.key(0)))[
      "model"
  ]
  x, eps = jax.eval_shape(lambda: _dummy(ctx))
  fns = {"vae": (lambda v, x, e: vae.apply(v, x, e), (variables, x, eps))}
  if config.eval.kind == "anomaly":
    key = jax.eval_shape(lambda: jax.random.split(jax.random.key(0), 1))
    stat = jax.ShapeDtypeStruct((config.model.latent_dim,), jnp.float32)
    normal = (stat, stat)
    fns["attention"] = (
        lambda v, x, k, n: maps_lib.image_maps(vae, v, config, x, k, n),
        (variables, x, key, normal),
    )
  return fns


def abstract_batch(ctx):
  """The global training batch: {"image": [B, H, W, C] float32 in [0, 1]}
  (FactorVAE splits it into its two half-batches inside the step)."""
  shape = (ctx.stage.batch_size,) + tuple(ctx.config.model.image_shape)
  return {"image": jax.ShapeDtypeStruct(shape, jnp.float32)}


def eval_fns(ctx, batch):
  """The evaluation's forwards on `batch` images: the posterior encoder
  (normal statistics, disentanglement votes) and, for anomaly runs, the
  attention maps of `evaluate.evaluate_anomaly` (SA + DA, one key per
  image from its index)."""
  config = ctx.config
  vae = model_lib.build(config)
  variables = jax.eval_shape(lambda: _variables(ctx, jax.random.key(0)))[
      "model"
  ]
  x, _ = jax.eval_shape(lambda: _dummy(ctx, batch))
  fns = {
      "encode": (
          lambda v, x: vae.apply(v, x, method=model_lib.VAE.encode),
          (variables,),
          (x,),
      )
  }
  if config.eval.kind == "anomaly":
    base_key = jax.random.key(config.eval.get("seed", 0))
    stat = jax.ShapeDtypeStruct((config.model.latent_dim,), jnp.float32)
    index = jax.ShapeDtypeStruct((batch,), jnp.int32)

    def attention_maps(v, normal, x, index):
      keys = jax.vmap(lambda i: jax.random.fold_in(base_key, i))(index)
      out = maps_lib.image_maps(vae, v, config, x, keys, normal)
      return {k: out[k] for k in evaluate_lib.MAP_KINDS}

    fns["attention"] = (attention_maps, (variables, (stat, stat)), (x, index))
  return fns


def predict(ctx, state, argv):
  """Attention maps of images: --image A.png [B.png ...] --out DIR.

  Uses the NDD of the training split's normal statistics when
  attention.latent_source='ndd'. Writes DIR/<name>_attention.png (input,
  SA, DA mean, DA std, DA fused, diffmap) and returns mean map values.
  """
  parser = argparse.ArgumentParser(prog="predict")
  parser.add_argument("--image", nargs="+", required=True)
  parser.add_argument("--out", required=True)
  args = parser.parse_args(argv)
  config = ctx.config
  h, w, c = config.model.image_shape
  images = []
  for path in args.image:
    if not os.path.exists(path):
      raise FileNotFoundError(f"--image {path} does not exist.")
    with Image.open(path) as im:
      im = im.convert("RGB" if c == 3 else "L").resize((w, h), Image.BILINEAR)
      images.append(np.asarray(im, np.float32).reshape(h, w, c) / 255.0)
  images = np.stack(images)
  vae = model_lib.build(config)
  replicated = inference.Replicated(state.variables("model"))
  normal = None
  if config.attention.get("latent_source", "posterior") == "ndd":
    encode = replicated.jit(
        lambda v, x: vae.apply(v, x, method=model_lib.VAE.encode)
    )
    normal = evaluate_lib.normal_statistics(
        ctx, encode, data.split_arrays(config.data, "train")
    )
  key = jax.random.key(config.eval.get("seed", 0))
  run = replicated.jit(
      lambda v, x, i: maps_lib.image_maps(
          vae,
          v,
          config,
          x,
          jax.vmap(lambda j: jax.random.fold_in(key, j))(i),
          None
          if normal is None
          else (jnp.asarray(normal[0]), jnp.asarray(normal[1])),
      )
  )
  out = run(images, np.arange(len(images), dtype=np.int32))
  kinds = ("sa", "da_mean", "da_std", "da_fused", "diffmap")
  results = {}
  for i, path in enumerate(args.image):
    rgb = np.repeat(visualize.to_uint8(images[i].mean(-1))[..., None], 3, -1)
    tiles = [rgb] + [evaluate_lib.heat(rgb, out[k][i]) for k in kinds]
    name = os.path.splitext(os.path.basename(path))[0]
    results[f"png_{name}"] = visualize.save_png(
        os.path.join(args.out, f"{name}_attention.png"),
        visualize.grid(tiles, len(tiles)),
    )
    results.update({f"{name}_{k}_mean": float(out[k][i].mean()) for k in kinds})
  return results


METHOD = method_lib.Method(
    name="vae_attention",
    init=init,
    make_train_step=make_train_step,
    make_train_data=data.make_train_data,
    evaluate=evaluate_lib.evaluate,
    flops_fns=flops_fns,
    predict=predict,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
