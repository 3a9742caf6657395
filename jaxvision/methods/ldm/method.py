"""The `ldm` method: frozen SD v1.x (UNet, autoencoder, CLIP text) roles.

This method trains nothing. Its config (configs/ldznet/ldm.py) has one stage
whose optimizer is `frozen` for every role, so the engine's commands that
only build the model work on it:
  * `params` prints the unet / vae / text counts (all frozen);
  * `flops` reports one feature extraction per example;
  * `extract-features` caches LDM features for a dataset.
`train` is refused with a clear message instead of running a step that does
nothing (NOTE: the engine calls `init` first, so with real weights the files
are read before the refusal; the refusal comes before any compilation).
"""

import jax
import jax.numpy as jnp

from jaxvision.core import method as method_lib
from jaxvision.methods.ldm import cache
from jaxvision.methods.ldm import features
from jaxvision.methods.ldm import frozen
from jaxvision.models.sd import ldm

_NO_TRAINING = (
    "The 'ldm' method is the frozen Stable Diffusion v1.x feature extractor: "
    "it has no training step. Use `python -m jaxvision.main params|flops "
    "--config {config}` or `extract-features`; methods that train on LDM "
    "features (LD-ZNet) hold these roles frozen inside their own configs."
)


def init(ctx: method_lib.StageContext, rng: jax.Array) -> dict:
  return frozen.init(ctx.config.ldm, rng)


def _refuse(ctx: method_lib.StageContext, *unused):
  raise ValueError(_NO_TRAINING.format(config="configs/ldznet/ldm.py"))


def flops_fns(ctx: method_lib.StageContext):
  """One feature extraction (AE encoder + text encoder + UNet up to the last
  selected block) for one example."""
  cfg = ctx.config.ldm
  extractor = features.from_config(cfg)
  params = ldm.abstract_params(extractor.config)
  size, text_len = cfg.image_size, cfg.text_len
  images = jax.ShapeDtypeStruct((1, size, size, 3), jnp.float32)
  tokens = jax.ShapeDtypeStruct((1, text_len), jnp.int32)
  keys = jax.ShapeDtypeStruct((1, 2), jnp.uint32)
  return {"features": (extractor, (params, images, tokens, keys))}


METHOD = method_lib.Method(
    name="ldm",
    init=init,
    make_train_step=_refuse,
    make_train_data=_refuse,
    flops_fns=flops_fns,
    extract_features=cache.extract,
)
