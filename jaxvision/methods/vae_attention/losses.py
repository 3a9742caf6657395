"""VAE, FactorVAE and discriminator losses (spec 4).

Per-image terms are summed over pixels / latent dims and averaged over the
batch, as in Eq. 7.1 and Kim & Mnih (2018).
"""

import jax
import jax.numpy as jnp
import optax

RECONSTRUCTIONS = ("mse", "bce", "bernoulli_logits")


def kl_per_dim(mu: jax.Array, logvar: jax.Array) -> jax.Array:
  """KL(N(mu, sigma^2) || N(0, 1)) per latent dim: [B, D]."""
  return -0.5 * (1.0 + logvar - jnp.square(mu) - jnp.exp(logvar))


def reconstruction(logits: jax.Array, x: jax.Array, kind: str) -> jax.Array:
  """Per-image reconstruction loss [B] from decoder logits.

  mse: summed squared error of sigmoid(logits) (UCSD / MVTec / smoke);
  bce / bernoulli_logits: summed Bernoulli NLL, computed from the logits for
  stability (MNIST REF-CODE's BCE on a sigmoid output is the same value).
  """
  axes = tuple(range(1, x.ndim))
  if kind == "mse":
    return jnp.sum(jnp.square(jax.nn.sigmoid(logits) - x), axis=axes)
  if kind in ("bce", "bernoulli_logits"):
    return jnp.sum(optax.sigmoid_binary_cross_entropy(logits, x), axis=axes)
  raise ValueError(
      f"vae.recon must be one of {RECONSTRUCTIONS}, got " f"{kind!r}."
  )


def permute_dims(z: jax.Array, rng: jax.Array) -> jax.Array:
  """Permutes every latent dim independently across the batch (spec
  pitfall 13): a sample of the product of the marginals of q(z)."""
  order = jnp.argsort(jax.random.uniform(rng, z.shape), axis=0)
  return jnp.take_along_axis(z, order, axis=0)


def total_correlation(disc_logits: jax.Array) -> jax.Array:
  """Density-ratio estimate of TC: E[logit_0 - logit_1] (Kim & Mnih)."""
  return jnp.mean(disc_logits[:, 0] - disc_logits[:, 1])


def discriminator_loss(
    logits_q: jax.Array, logits_perm: jax.Array
) -> tuple[jax.Array, jax.Array]:
  """(loss, accuracy): class 0 for q(z) samples, 1 for permuted ones."""
  zeros = jnp.zeros(logits_q.shape[0], jnp.int32)
  ones = jnp.ones(logits_perm.shape[0], jnp.int32)
  loss = 0.5 * (
      optax.softmax_cross_entropy_with_integer_labels(logits_q, zeros).mean()
      + optax.softmax_cross_entropy_with_integer_labels(
          logits_perm, ones
      ).mean()
  )
  accuracy = 0.5 * (
      jnp.mean(jnp.argmax(logits_q, -1) == 0)
      + jnp.mean(jnp.argmax(logits_perm, -1) == 1)
  )
  return loss, accuracy
