"""Gradient-based VAE attention: sample / distribution attention, NDD, L_AD.

Everything works on ONE image's tap feature map A [h, w, n] (vmap over a
batch). The latent code being explained is z = m(A) + s(A) * eps, where
(m, s) is the posterior (mu, sigma) or the normal difference distribution
(spec 3.4). Because eps does not depend on A,

    dz_i/dA = dm_i/dA + eps_i * ds_i/dA,

so two Jacobians per image give the attention of every latent sample (the
"Jacobian trick" of spec 3.2): alpha = GAP(J_m) + eps * GAP(J_s). The
Jacobians come from one `jax.vjp` of the head vmapped over one-hot
cotangents, so everything here is differentiable again -- the attention
disentanglement loss takes its gradient through them (second order; spec
pitfall 1).
"""

from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import ml_collections

HeadFn = Callable[[jax.Array], tuple[jax.Array, jax.Array]]

AGGREGATES = ("mean", "max", "sum", "none")


def latent_jacobians(
    latent_fn: HeadFn, a: jax.Array, dims: Sequence[int] | None = None
) -> tuple[jax.Array, jax.Array]:
  """d m_i / dA and d s_i / dA for the chosen latent dims: two [K, h, w, n].

  Args:
    latent_fn: A [h, w, n] -> (m [D], s [D]).
    a: the tap feature map of one image.
    dims: latent indices to explain (default: all D).
  """
  (m, s), vjp_fn = jax.vjp(latent_fn, a)
  dims = jnp.arange(m.shape[-1]) if dims is None else jnp.asarray(dims)
  onehot = jax.nn.one_hot(dims, m.shape[-1], dtype=m.dtype)
  jm = jax.vmap(lambda e: vjp_fn((e, jnp.zeros_like(s)))[0])(onehot)
  js = jax.vmap(lambda e: vjp_fn((jnp.zeros_like(m), e))[0])(onehot)
  return jm, js


def channel_weights(
    jm: jax.Array, js: jax.Array, eps: jax.Array, grad_norm: str = "none"
) -> jax.Array:
  """alpha [K, n] = GAP_hw(dz_k/dA) for one latent sample eps [K].

  grad_norm='rms' divides each dz_k/dA by its RMS (+1e-5) first (REF-CODE).
  """
  if grad_norm == "none":
    return jm.mean(axis=(1, 2)) + eps[:, None] * js.mean(axis=(1, 2))
  if grad_norm == "rms":
    g = jm + eps[:, None, None, None] * js
    rms = jnp.sqrt(jnp.mean(g * g, axis=(1, 2, 3), keepdims=True))
    return (g / (rms + 1e-5)).mean(axis=(1, 2))
  raise ValueError(
      f"attention.grad_norm must be 'none' or 'rms', got " f"{grad_norm!r}."
  )


def _post(x: jax.Array, post: str) -> jax.Array:
  if post == "relu":
    return jax.nn.relu(x)
  if post == "abs":
    return jnp.abs(x)
  raise ValueError(f"attention.post must be 'relu' or 'abs', got {post!r}.")


def element_maps(
    alpha: jax.Array, a: jax.Array, post: str = "relu"
) -> jax.Array:
  """M_k = post(sum_c alpha[k, c] A[..., c]): [K, h, w] (Eq. 7.2)."""
  return _post(jnp.einsum("kc,hwc->khw", alpha, a), post)


def aggregate(maps: jax.Array, how: str = "mean") -> jax.Array:
  """[K, h, w] element maps -> [h, w] ('none' keeps [K, h, w])."""
  if how == "mean":
    return maps.mean(axis=0)
  if how == "max":
    return maps.max(axis=0)
  if how == "sum":
    return maps.sum(axis=0)
  if how == "none":
    return maps
  raise ValueError(
      f"attention.aggregate must be one of {AGGREGATES}, got " f"{how!r}."
  )


def sample_maps(
    jm: jax.Array,
    js: jax.Array,
    a: jax.Array,
    eps: jax.Array,
    cfg: ml_collections.ConfigDict,
) -> jax.Array:
  """Sample attention of latent samples eps [J, K] -> [J, h, w] (or
  [J, K, h, w] with aggregate='none').

  score='per_element' is the text (one map per z_k, then aggregate);
  score='sum_mu' is REF-CODE (one map of d(sum_k mu_k)/dA, no sampling).
  """
  score = cfg.get("score", "per_element")
  post = cfg.get("post", "relu")
  if score == "sum_mu":
    alpha = jm.sum(axis=0).mean(axis=(0, 1))[None]
    one = element_maps(alpha, a, post)[0]
    return jnp.broadcast_to(one, (eps.shape[0],) + one.shape)
  if score != "per_element":
    raise ValueError(
        f"attention.score must be 'per_element' or 'sum_mu', " f"got {score!r}."
    )
  grad_norm = cfg.get("grad_norm", "none")
  how = cfg.get("aggregate", "mean")

  def one_sample(e):
    alpha = channel_weights(jm, js, e, grad_norm)
    return aggregate(element_maps(alpha, a, post), how)

  return jax.vmap(one_sample)(eps)


def distribution(maps: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Per-pixel Gaussian of J maps [J, ...]: mean and population std (Eq. 7.4)."""
  mean = maps.mean(axis=0)
  return mean, jnp.sqrt(jnp.mean(jnp.square(maps - mean), axis=0))


def minmax(x: jax.Array, axes=(-2, -1)) -> jax.Array:
  """Scales a map to [0, 1] over `axes` (constant maps -> 0)."""
  lo = x.min(axis=axes, keepdims=True)
  span = x.max(axis=axes, keepdims=True) - lo
  return jnp.where(span > 0, (x - lo) / jnp.where(span > 0, span, 1.0), 0.0)


def fuse(
    mean: jax.Array, std: jax.Array, alpha: float, beta: float
) -> jax.Array:
  """DA fusion map mu^M * sigmoid(alpha (sigma^M - beta)) (spec 3.4).

  sigma^M is min-max normalised per map first [DEFAULT], so beta lives in
  [0, 1] whatever the map's scale.
  """
  return mean * jax.nn.sigmoid(alpha * (minmax(std) - beta))


def posterior_fn(head: HeadFn) -> HeadFn:
  """A -> (mu, sigma) of q(z|x): plain SA on the posterior (spec 3.2)."""

  def fn(a):
    mu, logvar = head(a)
    return mu, jnp.exp(0.5 * logvar)

  return fn


def ndd_fn(
    head: HeadFn,
    normal_mu: jax.Array,
    normal_sigma: jax.Array,
    sign: str = "x_minus_y",
) -> HeadFn:
  """A -> mean and std of the normal difference distribution (Eq. 7.5).

  mean = mu^X - mu^y(A) (sign 'x_minus_y', as written) or its negation;
  std = sqrt(sigma^X^2 + sigma^y(A)^2). The normal statistics are constants.
  """
  if sign not in ("x_minus_y", "y_minus_x"):
    raise ValueError(
        f"ndd.sign must be 'x_minus_y' or 'y_minus_x', got " f"{sign!r}."
    )
  flip = 1.0 if sign == "x_minus_y" else -1.0
  normal_mu = jax.lax.stop_gradient(normal_mu)
  normal_var = jax.lax.stop_gradient(jnp.square(normal_sigma))

  def fn(a):
    mu, logvar = head(a)
    return flip * (normal_mu - mu), jnp.sqrt(normal_var + jnp.exp(logvar))

  return fn


def upsample(maps: jax.Array, size: Sequence[int]) -> jax.Array:
  """Bilinear resize of [..., h, w] maps to `size` (spec pitfall 7)."""
  return jax.image.resize(maps, maps.shape[:-2] + tuple(size), "bilinear")


def overlap(mp: jax.Array, mq: jax.Array, eps: float = 1e-8) -> jax.Array:
  """sum min(M^p, M^q) / (sum (M^p + M^q) + eps) over the last two axes."""
  num = jnp.minimum(mp, mq).sum(axis=(-2, -1))
  return num / ((mp + mq).sum(axis=(-2, -1)) + eps)


def pairs(num: int, ordered: bool = False) -> list[tuple[int, int]]:
  """Index pairs of `num` maps: unordered (Eqs. 7.7-7.8) or ordered (7.6)."""
  return [
      (p, q)
      for p in range(num)
      for q in range(num)
      if (p != q if ordered else p < q)
  ]


def disentanglement_loss(
    maps: jax.Array, ordered: bool = False, eps: float = 1e-8
) -> jax.Array:
  """L_AD = 2 * sum over pairs of overlap(M^p, M^q); maps [..., K, h, w]."""
  terms = [
      overlap(maps[..., p, :, :], maps[..., q, :, :], eps)
      for p, q in pairs(maps.shape[-3], ordered)
  ]
  return 2.0 * sum(terms)
