"""StarGAN losses (Eqs. 4.2, 4.3, 4.7) and the AKD losses (Eqs. 4.6, 4.9).

Forms follow StarGAN's official solver: WGAN-GP adversarial terms, sigmoid
BCE summed over attributes (CelebA) or softmax CE (RaFD) for the auxiliary
classifier, and an L1 cycle reconstruction.
"""

from typing import Callable

import jax
import jax.numpy as jnp
import optax

LABEL_TYPES = ("multi", "single")
NORMS = ("fro", "l1_mean", "l2_sq_mean")
NORMALIZE = ("none", "l2", "minmax")


def classification(
    logits: jax.Array, labels: jax.Array, label_type: str
) -> jax.Array:
  """Auxiliary-classifier loss, averaged over the batch.

  NOTE: multi-label BCE is *summed* over attributes (StarGAN; spec pitfall 7);
  a mean would silently divide lambda_cls by c_dim.
  """
  if label_type == "multi":
    return optax.sigmoid_binary_cross_entropy(logits, labels).sum(-1).mean()
  if label_type == "single":
    return optax.softmax_cross_entropy(logits, labels).mean()
  raise ValueError(
      f"Unknown data.label_type {label_type!r}; use one of " f"{LABEL_TYPES}."
  )


def gradient_penalty(
    src_fn: Callable[[jax.Array], jax.Array], x_hat: jax.Array
) -> jax.Array:
  """E[(||d sum(D_src(x_hat)) / d x_hat||_2 - 1)^2], norm per sample.

  Summing over the batch gives per-sample gradients because D treats samples
  independently.
  """
  grads = jax.grad(lambda x: src_fn(x).sum())(x_hat)
  norms = jnp.sqrt(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, -1))
  return jnp.mean((norms - 1.0) ** 2)


def interpolate(real: jax.Array, fake: jax.Array, rng: jax.Array) -> jax.Array:
  """x_hat = eps * real + (1 - eps) * fake with eps ~ U(0, 1) per sample."""
  eps = jax.random.uniform(rng, (real.shape[0], 1, 1, 1), real.dtype)
  return eps * real + (1.0 - eps) * fake


def reconstruction(x: jax.Array, x_rec: jax.Array) -> jax.Array:
  """Mean absolute error over pixels (the cycle term)."""
  return jnp.mean(jnp.abs(x - x_rec))


def _safe_sqrt(x: jax.Array) -> jax.Array:
  # NOTE: d sqrt/dx is infinite at 0, and all-zero attention maps are
  # legitimate (ReLU); the double `where` keeps the gradient finite there.
  positive = x > 0
  return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)


def normalize_maps(maps: jax.Array, mode: str, eps: float = 1e-8) -> jax.Array:
  """(B, K, h, w) maps: raw ('none'), unit L2 ('l2') or min-max ('minmax')."""
  if mode == "none":
    return maps
  if mode == "l2":
    norm = _safe_sqrt(jnp.sum(maps**2, axis=(-2, -1), keepdims=True))
    return maps / (norm + eps)
  if mode == "minmax":
    lo = maps.min(axis=(-2, -1), keepdims=True)
    hi = maps.max(axis=(-2, -1), keepdims=True)
    return (maps - lo) / (hi - lo + eps)
  raise ValueError(f"Unknown akd.normalize {mode!r}; use one of {NORMALIZE}.")


def map_distance(
    teacher: jax.Array, student: jax.Array, norm: str
) -> jax.Array:
  """(B, K) distance of each per-sample, per-class map pair."""
  diff = teacher - student
  if norm == "fro":
    return _safe_sqrt(jnp.sum(diff**2, axis=(-2, -1)))
  if norm == "l1_mean":
    return jnp.mean(jnp.abs(diff), axis=(-2, -1))
  if norm == "l2_sq_mean":
    return jnp.mean(diff**2, axis=(-2, -1))
  raise ValueError(f"Unknown akd.norm {norm!r}; use one of {NORMS}.")


def akd(
    teacher_maps: jax.Array,
    student_maps: jax.Array,
    pairs: jax.Array,
    weights: jax.Array,
    norm: str = "fro",
    normalize: str = "none",
) -> jax.Array:
  """L_akd (Eq. 4.6) or, with a teacher of other classes, L_akd^pse (4.9).

  Args:
    teacher_maps: (B, K_T, h, w) A_T; treated as a constant.
    student_maps: (B, K_S, h', w') A_S; resized to (h, w) if they differ.
    pairs: (K_S,) int: teacher class paired with each student class, -1 for
      a student class without a teacher map (pseudo mode). `arange(K)` for
      the same-attribute teacher.
    weights: (B, K_S) which (sample, class) maps enter the mean (all ones for
      akd.classes='all'; the target or changed classes otherwise).
    norm, normalize: see `map_distance` and `normalize_maps`.

  Returns:
    The mean distance over the weighted (sample, paired class) maps.
  """
  if student_maps.shape[-2:] != teacher_maps.shape[-2:]:
    student_maps = jax.image.resize(
        student_maps,
        student_maps.shape[:2] + teacher_maps.shape[-2:],
        "bilinear",
    )
  teacher_maps = jax.lax.stop_gradient(teacher_maps)
  paired = pairs >= 0
  matched = jnp.take(teacher_maps, jnp.maximum(pairs, 0), axis=1)
  dist = map_distance(
      normalize_maps(matched, normalize),
      normalize_maps(student_maps, normalize),
      norm,
  )
  w = weights * paired[None, :].astype(weights.dtype)
  return jnp.sum(dist * w) / jnp.maximum(jnp.sum(w), 1.0)
