"""The LD-ZNet forward pass shared by training, evaluation and `predict`.

`make_forward(config, training)` composes the frozen branch (CLIP text ->
context; autoencoder -> z * ldm.scale_factor; for LD-ZNet the LDM UNet on
z_t) with the trainable segmentation net of `model.py`. Training draws the LDM
timestep per example from `ldm.timesteps` (U{300..499}); evaluation uses
`ldm.t_eval` (t = 400), and both take noise from per-example keys.
"""

import jax
import jax.numpy as jnp
import ml_collections
import optax

from jaxvision.core import method as method_lib
from jaxvision.methods.ldm import features
from jaxvision.methods.ldm import frozen
from jaxvision.methods.ldznet import model as model_lib
from jaxvision.models.sd import unet as unet_lib


def net_config(config: ml_collections.ConfigDict) -> model_lib.NetConfig:
  """The segmentation net of a config: the LDM UNet with 1 output channel."""
  ldm_cfg, model_cfg = config.ldm, config.model
  unet = unet_lib.UNetConfig(**{**ldm_cfg.unet.to_dict(), "out_channels": 1})
  blocks = tuple(ldm_cfg.blocks) if ldm_cfg.enabled else ()
  grids = ()
  if blocks:
    shapes = extractor(config, training=True).feature_shapes(ldm_cfg.image_size)
    grids = tuple((k, shapes[k][:2]) for k in blocks)
  return model_lib.NetConfig(
      unet=unet,
      input=model_cfg.input,
      ldm_blocks=blocks,
      fusion=ldm_cfg.fusion,
      attention_pool=ldm_cfg.attention_pool,
      pool_grids=grids,
      head=model_cfg.head,
      upsample_factor=2 ** (len(ldm_cfg.vae.ch_mult) - 1),
      znet_timestep=model_cfg.znet_timestep,
      dtype=jnp.dtype(model_cfg.dtype),
  )


def extractor(
    config: ml_collections.ConfigDict, training: bool
) -> features.Extractor:
  """The frozen LDM branch; evaluation uses `ldm.t_eval` (fixed t = 400)."""
  ldm_cfg = config.ldm.copy_and_resolve_references()
  if not training:
    ldm_cfg.timesteps = ldm_cfg.t_eval
  return features.from_config(ldm_cfg)


def example_inputs(config, batch: int = 1):
  size, text_len = config.ldm.image_size, config.ldm.text_len
  return (
      jnp.zeros((batch, size, size, 3), jnp.float32),
      jnp.zeros((batch, text_len), jnp.int32),
      jnp.zeros((batch, 2), jnp.uint32),
  )


def frozen_ldm(config: ml_collections.ConfigDict, rng: jax.Array) -> dict:
  """The frozen `ldm` role of a stage whose init PRNG key is `rng` (read from
  `ldm.weights`, or random for CPU configs)."""
  return frozen.init(config.ldm, jax.random.split(rng)[0])


def cached_keys(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """The batch keys a feature cache provides: the scaled latent "z" and the
  injected blocks' "block_<k>" (`feature_cache.py`)."""
  blocks = config.ldm.blocks if config.ldm.enabled else ()
  return ("z",) + tuple(f"block_{k}" for k in blocks)


def make_forward(config: ml_collections.ConfigDict, training: bool):
  """forward(net_params, ldm_params, images, tokens, keys, cached=None)
  -> logits [B, H, W].

  images in [-1, 1]; tokens CLIP ids; keys [B, 2] uint32 per-example keys
  (t, posterior sample and noise of the frozen branch). `cached`: the
  `cached_keys` arrays of these examples from a feature cache, which then
  replace the autoencoder and the LDM UNet (the text encoder still runs).
  """
  ext = extractor(config, training)
  cfg = net_config(config)
  net = model_lib.SegmentationNet(cfg)

  def forward(net_params, ldm_params, images, tokens, keys, cached=None):
    features.check_inputs(ext.config, images, tokens, keys)
    if cached is None:
      z, context = ext.encode(ldm_params, images, tokens, keys)
      feats = (
          ext.from_latents(ldm_params, z, context, keys)
          if cfg.ldm_blocks
          else None
      )
    else:
      z, context = cached["z"], ext.encode_text(ldm_params, tokens)
      feats = (
          {k: cached[f"block_{k}"] for k in cfg.ldm_blocks}
          if cfg.ldm_blocks
          else None
      )
    x = images if cfg.input == "rgb" else z
    return net.apply({"params": net_params}, x, context, feats)

  return forward


def bce_train_step(forward, seed: int, role: str):
  """A train step minimising the BCE of every logit map `forward` returns.

  `forward(params, ldm_params, images, tokens, keys)` gives one logit map or
  a dict of them (the probing decoders, whose losses are summed: their
  params are disjoint). The frozen branch's per-example keys come from the
  batch's `index`, so they do not depend on the step or the device count.
  Batches read from a feature cache carry the frozen branch's outputs
  ("z", "block_<k>"), which are then passed to `forward` as a sixth
  argument (`make_forward`'s `cached`) instead of it running the branch.
  """

  def loss_fn(params, batch, rng, state):
    del rng
    keys = features.example_keys(seed, batch["index"])
    inputs = (
        params,
        state.frozen["ldm"],
        batch["image"],
        batch["tokens"],
        keys,
    )
    cached = {
        k: v for k, v in batch.items() if k == "z" or k.startswith("block_")
    }
    logits = forward(*inputs, cached) if cached else forward(*inputs)
    losses = [
        optax.sigmoid_binary_cross_entropy(
            x.astype(jnp.float32), batch["mask"].astype(jnp.float32)
        ).mean()
        for x in jax.tree.leaves(logits)
    ]
    total = sum(losses)
    return total, {
        "mean_bce": total / len(losses),
        "fg_fraction": batch["mask"].mean(),
    }

  return method_lib.simple_train_step(loss_fn, role=role)
