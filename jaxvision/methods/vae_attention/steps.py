"""Objectives and the train step (spec 4): VAE, beta-VAE, FactorVAE and
AD-FactorVAE (FactorVAE + lambda * L_AD, Eq. 7.9).

Update order inside one step (Kim & Mnih): the VAE loss (with the
discriminator's TC estimate, D held fixed) and the discriminator loss (on
detached q(z) samples of the first half-batch and dimension-permuted samples
of the second half-batch) are both taken at the current params, then both
roles are updated. L_AD is differentiated through the attention computation:
its alpha are gradients of z w.r.t. A, so the step takes a gradient of a
gradient (spec pitfall 1).
"""

import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.core import state as state_lib
from jaxvision.methods.vae_attention import attention
from jaxvision.methods.vae_attention import losses
from jaxvision.methods.vae_attention import maps as maps_lib
from jaxvision.methods.vae_attention import model as model_lib

FAMILIES = ("vae", "beta_vae", "factor_vae", "ad_factor_vae")


def check_family(config: ml_collections.ConfigDict) -> str:
  family = config.model.family
  if family not in FAMILIES:
    raise ValueError(
        f"model.family must be one of {FAMILIES}, got " f"{family!r}."
    )
  if family == "ad_factor_vae" and model_lib.uses_batch_norm(config):
    raise ValueError(
        "AD-FactorVAE is implemented for the BatchNorm-free "
        "conv encoders only (model.encoder.kind='conv')."
    )
  return family


def is_factor(config: ml_collections.ConfigDict) -> bool:
  return check_family(config) in ("factor_vae", "ad_factor_vae")


def ad_loss(
    vae,
    variables,
    cfg: ml_collections.ConfigDict,
    a: jax.Array,
    eps: jax.Array,
    kl: jax.Array,
    rng: jax.Array,
    input_size,
) -> jax.Array:
  """Batch mean of L_AD on the element maps of the chosen latent dims.

  'sa': maps of the training sample eps (one per image). 'da': N fresh
  samples per image, per dim mu^{M^p} * sigmoid(alpha (sigma^{M^p} - beta))
  [DEFAULT reading of the text], then L_AD on those.
  """
  ad, att = cfg.ad, cfg.attention
  if len(ad.dims) < 2 or not all(0 <= d < eps.shape[-1] for d in ad.dims):
    raise ValueError(
        f"ad.dims={list(ad.dims)} must name at least two latent "
        f"dims in [0, {eps.shape[-1]})."
    )
  fn = attention.posterior_fn(
      maps_lib.head_of(vae, variables, att.target_layer)
  )
  num_dims = len(ad.dims)
  post, grad_norm = att.get("post", "relu"), att.get("grad_norm", "none")
  selection = ad.get("dim_selection", "fixed")
  if selection not in ("fixed", "top_kl"):
    raise ValueError(
        f"ad.dim_selection must be 'fixed' or 'top_kl', got " f"{selection!r}."
    )
  if ad.attention not in ("sa", "da"):
    raise ValueError(
        f"ad.attention must be 'sa' or 'da', got " f"{ad.attention!r}."
    )

  def element(jm, js, a_i, e):
    return attention.element_maps(
        attention.channel_weights(jm, js, e, grad_norm), a_i, post
    )

  def one(a_i, eps_i, kl_i, key):
    dims = (
        jnp.argsort(-kl_i)[:num_dims]
        if selection == "top_kl"
        else jnp.asarray(ad.dims)
    )
    jm, js = attention.latent_jacobians(fn, a_i, dims)
    if ad.attention == "sa":
      m = element(jm, js, a_i, eps_i[dims])
    else:
      samples = jax.random.normal(key, (ad.num_samples, num_dims))
      mean, std = attention.distribution(
          jax.vmap(lambda e: element(jm, js, a_i, e))(samples)
      )
      m = attention.fuse(mean, std, ad.alpha, ad.beta)
    if ad.get("map_resolution", "native") == "input":
      m = attention.upsample(m, input_size)
    return attention.disentanglement_loss(m, ad.get("ordered_pairs", False))

  keys = jax.random.split(rng, a.shape[0])
  return jax.vmap(one)(a, eps, kl, keys).mean()


def make_train_step(config: ml_collections.ConfigDict):
  """train_step(state, batch, rng) -> (state, metrics) for config's family."""
  family = check_family(config)
  factor = is_factor(config)
  with_ad = family == "ad_factor_vae"
  batch_norm = model_lib.uses_batch_norm(config)
  vae = model_lib.build(config)
  disc = model_lib.build_discriminator(config) if factor else None
  latent_dim = config.model.latent_dim
  beta = config.vae.get("beta", 1.0)

  def forward(variables, x, eps):
    """(mu, logvar, z, logits, tap map or None, new batch stats or None)."""
    if batch_norm:
      (mu, logvar, z, logits), updates = vae.apply(
          variables, x, eps, train=True, mutable=["batch_stats"]
      )
      return mu, logvar, z, logits, None, updates
    if not with_ad:
      return (*vae.apply(variables, x, eps), None, None)
    layer = config.attention.target_layer
    a = vae.apply(variables, x, layer, method=model_lib.VAE.trunk)
    mu, logvar = vae.apply(variables, a, layer, method=model_lib.VAE.head)
    z = mu + jnp.exp(0.5 * logvar) * eps
    return (
        mu,
        logvar,
        z,
        vae.apply(variables, z, method=model_lib.VAE.decode),
        a,
        None,
    )

  def vae_objective(params, collections, x, rng, disc_params):
    variables = state_lib.merge_variables(params, collections)
    eps_key, ad_key = jax.random.split(rng)
    eps = jax.random.normal(eps_key, (x.shape[0], latent_dim))
    mu, logvar, z, logits, a, stats = forward(variables, x, eps)
    recon = losses.reconstruction(logits, x, config.vae.recon).mean()
    kl_dims = losses.kl_per_dim(mu, logvar)
    kl = kl_dims.sum(-1).mean()
    loss = recon + beta * kl
    metrics = {"recon": recon, "kl": kl}
    if factor:
      tc = losses.total_correlation(disc.apply({"params": disc_params}, z))
      loss += config.factor.gamma * tc
      metrics["tc"] = tc
    if with_ad:
      l_ad = ad_loss(
          vae, variables, config, a, eps, kl_dims, ad_key, x.shape[1:3]
      )
      loss += config.ad.weight * l_ad
      metrics["l_ad"] = l_ad
    return loss, (metrics, z, stats)

  def train_step(state, batch, rng):
    x = batch["image"]
    vae_key, eps2_key, perm_key = jax.random.split(rng, 3)
    if factor:
      if x.shape[0] % 2:
        raise ValueError(
            f"FactorVAE splits each batch in two halves; the "
            f"batch size {x.shape[0]} must be even."
        )
      x, x2 = x[: x.shape[0] // 2], x[x.shape[0] // 2 :]
    collections = state.model_state.get("model", {})
    disc_params = state.params.get("disc")
    (loss, (metrics, z, stats)), grads = jax.value_and_grad(
        vae_objective, has_aux=True
    )(state.params["model"], collections, x, vae_key, disc_params)
    updates = {"model": grads}
    metrics = {"loss": loss, **metrics}
    if factor:
      eps2 = jax.random.normal(eps2_key, (x2.shape[0], latent_dim))
      z2 = vae.apply(state.variables("model"), x2, eps2)[2]
      z_perm = losses.permute_dims(jax.lax.stop_gradient(z2), perm_key)
      z_q = jax.lax.stop_gradient(z)

      def disc_objective(p):
        return losses.discriminator_loss(
            disc.apply({"params": p}, z_q), disc.apply({"params": p}, z_perm)
        )

      (d_loss, d_acc), updates["disc"] = jax.value_and_grad(
          disc_objective, has_aux=True
      )(disc_params)
      metrics.update(disc_loss=d_loss, disc_accuracy=d_acc)
    state = state.apply_gradients(updates)
    if stats is not None:
      state = state.update_model_state("model", stats)
    return state, metrics

  return train_step
