"""The coarse segmentation of seed 000 Fig. 3.1: an LDM's text-driven noise.

The chapter motivates LD-ZNet with a map that needs no training: the
pixel-wise norm of the difference between the LDM's text-conditional and
unconditional noise estimates, ||eps(z_t, t, text) - eps(z_t, t, "")||_2
over the latent channels (spec 3.9). Where the prompt's subject is, the
denoiser must change z_t most to match the text, so the map is a coarse mask
of it. t is not given in the text; the spec's default is 500.
"""

import jax
import jax.numpy as jnp

from jaxvision.methods.ldm import features
from jaxvision.models.sd import ldm
from jaxvision.models.sd import schedule as schedule_lib

DEFAULT_T = 500


def noise_difference_norm(
    extractor: features.Extractor,
    params: dict,
    images: jax.Array,
    tokens: jax.Array,
    empty_tokens: jax.Array,
    keys: jax.Array,
    t: int = DEFAULT_T,
) -> jax.Array:
  """The Fig. 3.1 map [B, H, W] at image resolution (not normalised).

  Args:
    extractor: the frozen LDM's feature pipeline (posterior, scale factor).
    params: {unet, vae, text} params.
    images: [B, H, W, 3] in [-1, 1].
    tokens: [B, L] token ids of the prompts.
    empty_tokens: [B, L] token ids of the empty prompt "".
    keys: [B, 2] uint32 raw keys (posterior sample and forward noise).
    t: the diffusion timestep (0-indexed; a Python int).
  """
  if not 0 <= t < schedule_lib.NUM_TIMESTEPS:
    raise ValueError(
        f"Coarse-mask timestep {t} out of range: t is "
        f"0-indexed in 0..{schedule_lib.NUM_TIMESTEPS - 1}."
    )
  features.check_inputs(extractor.config, images, tokens, keys)
  z, context = extractor.encode(params, images, tokens, keys)
  uncond = extractor.encode_text(params, empty_tokens)
  noise = jax.vmap(lambda k: jax.random.normal(k, z.shape[1:], z.dtype))(
      jax.vmap(lambda k: jax.random.fold_in(jax.random.wrap_key_data(k), 2))(
          keys
      )
  )
  steps = jnp.full((z.shape[0],), t, jnp.int32)
  z_t = schedule_lib.SD_V1.q_sample(z, steps, noise)
  unet = ldm.models(extractor.config, extractor.dtype)[0]
  unet_params = {"params": jax.lax.stop_gradient(params["unet"])}
  eps_text = unet.apply(unet_params, z_t, steps, context)
  eps_empty = unet.apply(unet_params, z_t, steps, uncond)
  norm = jnp.linalg.norm((eps_text - eps_empty).astype(jnp.float32), axis=-1)
  return jax.image.resize(norm, (norm.shape[0], *images.shape[1:3]), "bilinear")


def normalise(maps: jax.Array) -> jax.Array:
  """Each map scaled to [0, 1] by its own min and max (for display)."""
  low = maps.min(axis=(1, 2), keepdims=True)
  high = maps.max(axis=(1, 2), keepdims=True)
  return (maps - low) / jnp.maximum(high - low, 1e-12)
