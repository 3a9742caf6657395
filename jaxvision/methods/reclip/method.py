"""RECLIP as plain functions on the engine (spec: shared/specs/reclip.md).

Stages are the method's phases: a long low-resolution main phase, then one or
two high-resolution finetunes. At every resolution switch `transition`
replaces the learned image pos-emb table by a new, larger parameter
initialised by 2-D interpolation (spec 3.4; optimizer state is fresh for each
stage). The FLIP-style masking baseline keeps `stage.mask_keep_tokens` random
tokens of a full-resolution image instead of down-sampling.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.core import method as method_lib
from jaxvision.methods.reclip import data
from jaxvision.methods.reclip import evaluate as evaluate_lib
from jaxvision.methods.reclip import losses
from jaxvision.methods.reclip import model as model_lib
from jaxvision.methods.reclip import predict as predict_lib
from jaxvision.models import text_transformer
from jaxvision.models import vit


def _vocab_size(ctx: method_lib.StageContext) -> int:
  return data.vocab_size(ctx.config)


def _dummy_inputs(ctx: method_lib.StageContext, batch: int = 1):
  size = ctx.stage.image_size
  return (
      jnp.zeros((batch, size, size, 3), jnp.float32),
      jnp.zeros((batch, ctx.stage.text_len), jnp.int32),
  )


def _keep_indices(ctx, rng, batch: int):
  """Random kept-token indices per example, or None (no masking)."""
  keep = ctx.stage.get("mask_keep_tokens", 0)
  if not keep:
    return None
  grid = ctx.stage.image_size // ctx.config.model.image.patch_size
  noise = jax.random.uniform(rng, (batch, grid * grid))
  return jnp.argsort(noise, axis=-1)[:, :keep]


def init(ctx, rng):
  model = model_lib.build(ctx.config, ctx.stage, _vocab_size(ctx))
  images, tokens = _dummy_inputs(ctx)
  return {"model": model.init(rng, images, tokens)["params"]}


def make_train_step(ctx):
  model = model_lib.build(ctx.config, ctx.stage, _vocab_size(ctx))
  max_scale = float(np.log(ctx.config.model.temperature_min_inverse))

  def loss_fn(params, batch, rng, state):
    del state
    keep = _keep_indices(ctx, rng, batch["image"].shape[0])
    image_emb, text_emb, logit_scale = model.apply(
        {"params": params}, batch["image"], batch["tokens"], keep
    )
    return losses.infonce(image_emb, text_emb, logit_scale, ctx.mesh)

  step = method_lib.simple_train_step(loss_fn)

  def train_step(state, batch, rng):
    state, metrics = step(state, batch, rng)
    # Clip the temperature to tau >= 1/100 after every update (spec 3.3).
    params = dict(state.params["model"])
    params["logit_scale"] = jnp.minimum(params["logit_scale"], max_scale)
    return state.replace(params={**state.params, "model": params}), metrics

  return train_step


def transition(prev_ctx, ctx, params):
  """Resizes pos-emb tables when resolution or text length change."""
  model = dict(params["model"])
  image = dict(model["image_tower"])
  old_grid = model_lib.posemb_grid(prev_ctx.config, prev_ctx.stage)
  new_grid = model_lib.posemb_grid(ctx.config, ctx.stage)
  if old_grid != new_grid:
    image["pos_embedding"] = vit.resize_posemb(
        image["pos_embedding"], new_grid, ctx.config.model.posemb.resize_method
    )
  model["image_tower"] = image
  if prev_ctx.stage.text_len != ctx.stage.text_len:
    text = dict(model["text_tower"])
    text["pos_embedding"] = text_transformer.extend_posemb(
        text["pos_embedding"], ctx.stage.text_len
    )
    model["text_tower"] = text
  return {**params, "model": model}


def flops_fns(ctx):
  """Forward functions of one image and one caption for the flops command."""
  model = model_lib.build(
      ctx.config, ctx.stage, _vocab_size(ctx), dtype="float32"
  )
  params = jax.eval_shape(lambda: init(ctx, jax.random.key(0)))["model"]
  images, tokens = jax.eval_shape(lambda: _dummy_inputs(ctx))
  keep = None
  if ctx.stage.get("mask_keep_tokens", 0):
    keep = jax.ShapeDtypeStruct((1, ctx.stage.mask_keep_tokens), jnp.int32)

  def image_fn(p, x, k):
    return model.apply(
        {"params": p}, x, k, method=model_lib.TwoTower.embed_images
    )

  def text_fn(p, t):
    return model.apply({"params": p}, t, method=model_lib.TwoTower.embed_texts)

  return {
      "image": (image_fn, (params, images, keep)),
      "text": (text_fn, (params, tokens)),
  }


def abstract_batch(ctx):
  """The stage's global training batch: images [B, S, S, 3], tokens [B, L]."""
  images, tokens = jax.eval_shape(
      lambda: _dummy_inputs(ctx, ctx.stage.batch_size)
  )
  return {"image": images, "tokens": tokens}


def eval_fns(ctx, batch):
  """Zero-shot / retrieval forwards: image and caption embeddings."""
  model = model_lib.build(ctx.config, ctx.stage, _vocab_size(ctx))
  params = jax.eval_shape(lambda: init(ctx, jax.random.key(0)))["model"]
  images, tokens = jax.eval_shape(lambda: _dummy_inputs(ctx, batch))

  def image_fn(p, x):
    return model.apply({"params": p}, x, method=model_lib.TwoTower.embed_images)

  def text_fn(p, t):
    return model.apply({"params": p}, t, method=model_lib.TwoTower.embed_texts)

  return {
      "embed_images": (image_fn, (params,), (images,)),
      "embed_texts": (text_fn, (params,), (tokens,)),
  }


def make_train_data(ctx, seed):
  """Training batches; first checks that the stage's evaluations can run."""
  evaluate_lib.check_inputs(ctx.config)
  return data.make_train_data(ctx, seed)


METHOD = method_lib.Method(
    name="reclip",
    init=init,
    make_train_step=make_train_step,
    make_train_data=make_train_data,
    evaluate=evaluate_lib.evaluate,
    transition=transition,
    flops_fns=flops_fns,
    predict=predict_lib.predict,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
