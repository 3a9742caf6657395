"""Symmetric InfoNCE over the global batch (seed 002, Eqs. 3.1-3.2).

The embeddings are global arrays sharded on the batch axis; the logits matrix
is constrained to stay row-sharded, so XLA all-gathers the other tower's
embeddings (gradients flow through the gather) and no device materialises
the full B x B matrix. Labels are global indices (the diagonal), so the
softmax denominators run over every example on every device (spec pitfall 3).
"""

import jax
import jax.numpy as jnp
import optax
from jax.sharding import PartitionSpec as P

from jaxvision.core import sharding


def _row_sharded(x: jax.Array, mesh: jax.sharding.Mesh | None) -> jax.Array:
  if mesh is None:
    return x
  return jax.lax.with_sharding_constraint(
      x, jax.sharding.NamedSharding(mesh, P(sharding.BATCH_AXES, None))
  )


def infonce(
    image_emb: jax.Array,
    text_emb: jax.Array,
    logit_scale: jax.Array,
    mesh: jax.sharding.Mesh | None = None,
) -> tuple[jax.Array, dict]:
  """(L_I2T + L_T2I) / 2 with temperature exp(-logit_scale).

  Args:
    image_emb: [B, E] L2-normalised image embeddings (global batch).
    text_emb: [B, E] L2-normalised text embeddings; row i matches image i.
    logit_scale: log(1 / tau), a scalar.
    mesh: when given, logits stay sharded by rows over the batch axes.
  """
  scale = jnp.exp(logit_scale)
  labels = jnp.arange(image_emb.shape[0])
  logits_i2t = _row_sharded(scale * image_emb @ text_emb.T, mesh)
  logits_t2i = _row_sharded(scale * text_emb @ image_emb.T, mesh)
  loss_i2t = optax.softmax_cross_entropy_with_integer_labels(
      logits_i2t, labels
  ).mean()
  loss_t2i = optax.softmax_cross_entropy_with_integer_labels(
      logits_t2i, labels
  ).mean()
  accuracy = jnp.mean(jnp.argmax(logits_i2t, axis=-1) == labels)
  return (loss_i2t + loss_t2i) / 2, {
      "loss_i2t": loss_i2t,
      "loss_t2i": loss_t2i,
      "train_i2t_top1": accuracy,
      "temperature": 1.0 / scale,
  }
