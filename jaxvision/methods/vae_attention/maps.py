"""Attention maps of a batch of images from VAE variables (vmapped).

`latent_maps` is shared by training (L_AD, differentiated through) and by
evaluation / predict (SA, DA, fused and diffmap maps at input resolution).
"""

import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.methods.vae_attention import attention
from jaxvision.methods.vae_attention import model as model_lib


def head_of(vae: model_lib.VAE, variables, layer: str):
  """A [h, w, n] -> (mu [D], logvar [D]) of one image."""

  def head(a):
    mu, logvar = vae.apply(variables, a[None], layer, method=model_lib.VAE.head)
    return mu[0], logvar[0]

  return head


def latent_fn(head, cfg: ml_collections.ConfigDict, normal=None):
  """The distribution whose samples are explained (attention.latent_source)."""
  source = cfg.attention.get("latent_source", "posterior")
  if source == "posterior":
    return attention.posterior_fn(head)
  if source == "ndd":
    if normal is None:
      raise ValueError(
          "attention.latent_source='ndd' needs the normal "
          "statistics (mu^X, sigma^X)."
      )
    return attention.ndd_fn(
        head, normal[0], normal[1], cfg.ndd.get("sign", "x_minus_y")
    )
  raise ValueError(
      f"attention.latent_source must be 'posterior' or 'ndd', "
      f"got {source!r}."
  )


def image_maps(
    vae: model_lib.VAE,
    variables,
    cfg: ml_collections.ConfigDict,
    x: jax.Array,
    key: jax.Array,
    normal=None,
) -> dict[str, jax.Array]:
  """SA, DA mean/std, fused and diffmap maps of a batch x [B, H, W, C].

  Image i uses `fold_in(key_i, j)` for its j-th latent sample, so a map
  depends only on the image and its key (spec pitfall 5). Maps are
  upsampled bilinearly to the input size.
  """
  layer = cfg.attention.target_layer
  num = cfg.da.num_samples
  if num < 2:
    raise ValueError(
        f"da.num_samples must be >= 2 (sigma^M of one sample is "
        f"0), got {num}."
    )
  a = vae.apply(variables, x, layer, method=model_lib.VAE.trunk)
  fn = latent_fn(head_of(vae, variables, layer), cfg, normal)
  dims = cfg.model.latent_dim

  def one(a_i, key_i):
    jm, js = attention.latent_jacobians(fn, a_i)
    eps = jax.random.normal(key_i, (num, dims))
    maps = attention.sample_maps(jm, js, a_i, eps, cfg.attention)
    if maps.ndim == 4:
      maps = maps.mean(axis=1)
    mean, std = attention.distribution(maps)
    fused = attention.fuse(mean, std, cfg.da.alpha, cfg.da.beta)
    return {"sa": maps[0], "da_mean": mean, "da_std": std, "da_fused": fused}

  out = jax.vmap(one)(a, key)
  out = {k: attention.upsample(v, x.shape[1:3]) for k, v in out.items()}
  recon = vae.apply(variables, x, method=model_lib.VAE.reconstruct)
  out["diffmap"] = jnp.mean(jnp.abs(x - recon), axis=-1)
  out["recon"] = recon
  return out
