"""Grad-CAM attention of a conditional GAN (Section 4.3.1, Eqs. 4.4-4.5).

For a (G, D) pair, images x and target labels c:

  F   = G.features(x, c, block)                   (B, h, w, n)
  y^k = D(G.tail(F)).cls[:, k]                    score of class k on G(x, c)
  a^k = mean_{h,w} dy^k / dF                      (B, n)
  A^k = ReLU(sum_n a^k_n F_n)                     (B, h, w)

The gradient flows through D *and* the rest of G (spec pitfall 1). One VJP
of `head` is taken per class with a one-hot cotangent over the class axis;
summing y^k over the batch yields per-sample gradients only because no layer
mixes samples (InstanceNorm, no BatchNorm; spec pitfall 4). Everything here is
differentiable, so a loss on A differentiates through a (second-order) and F
when it is computed inside the loss function (spec pitfall 2).
"""

from typing import Any

import jax
import jax.numpy as jnp

from jaxvision.methods.akd import model as model_lib

SCORES = ("logit", "prob")


def attention_maps(
    gen: model_lib.Generator,
    disc: model_lib.Discriminator,
    gen_params: Any,
    disc_params: Any,
    x: jax.Array,
    c: jax.Array,
    block: int = -1,
    score: str = "logit",
    detach_alpha: bool = False,
) -> jax.Array:
  """A: (B, K, h, w) non-negative attention maps of all K classes of D.

  Args:
    gen, disc: the modules; gen_params, disc_params: their params.
    x: (B, H, W, 3) images in [-1, 1]; c: (B, c_dim) target labels.
    block: residual block of G whose output is attended (-1 = last).
    score: "logit" (pre-sigmoid/softmax, Grad-CAM practice) or "prob".
    detach_alpha: treat the pooled gradients a as constants (first-order
      ablation; the default differentiates through them).
  """
  if score not in SCORES:
    raise ValueError(f"Unknown akd.score {score!r}; use one of {SCORES}.")
  feats = gen.apply(
      {"params": gen_params}, x, c, block, method=model_lib.Generator.features
  )

  def head(f):
    fake = gen.apply(
        {"params": gen_params}, f, block, method=model_lib.Generator.tail
    )
    logits = disc.apply({"params": disc_params}, fake)[1]
    return jax.nn.sigmoid(logits) if score == "prob" else logits

  scores, vjp = jax.vjp(head, feats)
  num_classes = scores.shape[-1]
  cotangents = jnp.broadcast_to(
      jnp.eye(num_classes, dtype=scores.dtype)[:, None, :],
      (num_classes,) + scores.shape,
  )
  grads = jax.vmap(lambda ct: vjp(ct)[0])(cotangents)  # (K, B, h, w, n)
  alpha = grads.mean(axis=(2, 3))  # (K, B, n)
  if detach_alpha:
    alpha = jax.lax.stop_gradient(alpha)
  return jax.nn.relu(jnp.einsum("kbn,bhwn->bkhw", alpha, feats))


def upsample(maps: jax.Array, size: int) -> jax.Array:
  """(B, K, h, w) maps bilinearly resized to (B, K, size, size)."""
  return jax.image.resize(maps, maps.shape[:2] + (size, size), "bilinear")


def minmax(maps: jax.Array, eps: float = 1e-8) -> jax.Array:
  """Per-map min-max normalisation to [0, 1] (eps guards all-zero maps)."""
  lo = maps.min(axis=(-2, -1), keepdims=True)
  hi = maps.max(axis=(-2, -1), keepdims=True)
  return (maps - lo) / (hi - lo + eps)
