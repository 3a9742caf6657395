"""Image-level WGAN-GP between G(x_s) and G(x_r) (spec 4.1, Eq 2.1-2.3).

D maximises E[D(G(x_s))] - E[D(G(x_r))] - 10 GP, implemented as minimising
`mean D(real) - mean D(syn) + lambda GP`; G minimises
`mean D(syn) - mean D(real)` with no GP (pitfall 3). The syn and real batches
go through D in separate forward calls, so a BatchNorm critic normalises
each domain with its own statistics, as the reference does (pitfall 19).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.methods.sharingan import model as model_lib


def gradient_penalty(
    critic: nn.Module,
    variables: model_lib.Variables,
    syn: jax.Array,
    real: jax.Array,
    rng: jax.Array,
) -> tuple[jax.Array, model_lib.Variables]:
  """mean (||grad_h D(h)||_2 - 1)^2 on interpolates of detached images.

  alpha ~ U[0, 1] per sample; unequal batches are cut to the smaller one.
  The gradient of sum(D(h)) over the batch is the faithful form with a
  train-mode BatchNorm critic (pitfall 4).
  """
  n = min(syn.shape[0], real.shape[0])
  syn = jax.lax.stop_gradient(syn[:n])
  real = jax.lax.stop_gradient(real[:n])
  alpha = jax.random.uniform(rng, (n, 1, 1, 1), syn.dtype)
  interp = syn + alpha * (real - syn)

  def total(h, v):
    out, v = model_lib.apply(critic, v, h, train=True)
    return jnp.sum(out), v

  grads, variables = jax.grad(total, has_aux=True)(interp, variables)
  norm = jnp.sqrt(jnp.sum(grads.reshape(n, -1) ** 2, axis=1) + 1e-12)
  return jnp.mean((norm - 1.0) ** 2), variables


def critic_loss(
    critic: nn.Module,
    variables: model_lib.Variables,
    syn: jax.Array,
    real: jax.Array,
    rng: jax.Array,
    gp_lambda: float,
) -> tuple[jax.Array, tuple[Any, dict]]:
  """L_D = mean D(real) - mean D(syn) + lambda GP.

  Returns (loss, (critic variables, metrics)).
  """
  d_syn, variables = model_lib.apply(critic, variables, syn, train=True)
  d_real, variables = model_lib.apply(critic, variables, real, train=True)
  gp, variables = gradient_penalty(critic, variables, syn, real, rng)
  wasserstein = jnp.mean(d_syn) - jnp.mean(d_real)
  loss = -wasserstein + gp_lambda * gp
  return loss, (
      variables,
      {"critic_loss": loss, "wasserstein": wasserstein, "gp": gp},
  )


def generator_adversarial(
    critic: nn.Module,
    variables: model_lib.Variables,
    syn: jax.Array,
    real: jax.Array,
) -> jax.Array:
  """L_W for G: mean D(G(x_s)) - mean D(G(x_r)), through a fixed critic."""
  d_syn, _ = model_lib.apply(critic, variables, syn, train=True)
  d_real, _ = model_lib.apply(critic, variables, real, train=True)
  return jnp.mean(d_syn) - jnp.mean(d_real)
