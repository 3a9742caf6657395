"""Photometric losses of self-supervised depth (Monodepth/Monodepth2 style).

Shared by MonoIndoor++ (temporal view synthesis) and SharinGAN (stereo
virtual supervision on real pairs). Images are NHWC in [0, 1].
"""

import jax
import jax.numpy as jnp

_C1 = 0.01**2
_C2 = 0.03**2


def _avg_pool3(x: jax.Array) -> jax.Array:
  """3x3 mean over a reflection-padded NHWC map (same size out)."""
  x = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
  summed = jax.lax.reduce_window(
      x, 0.0, jax.lax.add, (1, 3, 3, 1), (1, 1, 1, 1), "VALID"
  )
  return summed / 9.0


def ssim_distance(x: jax.Array, y: jax.Array) -> jax.Array:
  """Per-pixel (1 - SSIM) / 2 in [0, 1] with 3x3 windows (Monodepth2)."""
  mu_x, mu_y = _avg_pool3(x), _avg_pool3(y)
  sigma_x = _avg_pool3(x * x) - mu_x**2
  sigma_y = _avg_pool3(y * y) - mu_y**2
  sigma_xy = _avg_pool3(x * y) - mu_x * mu_y
  numerator = (2 * mu_x * mu_y + _C1) * (2 * sigma_xy + _C2)
  denominator = (mu_x**2 + mu_y**2 + _C1) * (sigma_x + sigma_y + _C2)
  return jnp.clip((1 - numerator / denominator) / 2, 0, 1)


def photometric_error(
    pred: jax.Array, target: jax.Array, alpha: float = 0.85
) -> jax.Array:
  """alpha * (1 - SSIM)/2 + (1 - alpha) * L1, averaged over channels.

  Returns an (N, H, W, 1) error map, so callers can take per-pixel minima
  over source views and apply masks before reducing.
  """
  l1 = jnp.mean(jnp.abs(pred - target), axis=-1, keepdims=True)
  ssim = jnp.mean(ssim_distance(pred, target), axis=-1, keepdims=True)
  return alpha * ssim + (1 - alpha) * l1


def edge_aware_smoothness(
    disp: jax.Array, image: jax.Array, normalize: bool = True
) -> jax.Array:
  """Mean |grad disp| * exp(-|grad image|), scalar.

  `disp` is (N, H, W, 1); with `normalize` it is divided by its per-image
  mean first (Monodepth2), so the term does not just shrink the depth scale.
  """
  if normalize:
    disp = disp / (jnp.mean(disp, axis=(1, 2, 3), keepdims=True) + 1e-7)
  grad_disp_x = jnp.abs(disp[:, :, :-1] - disp[:, :, 1:])
  grad_disp_y = jnp.abs(disp[:, :-1] - disp[:, 1:])
  grad_img_x = jnp.mean(
      jnp.abs(image[:, :, :-1] - image[:, :, 1:]), -1, keepdims=True
  )
  grad_img_y = jnp.mean(
      jnp.abs(image[:, :-1] - image[:, 1:]), -1, keepdims=True
  )
  return jnp.mean(grad_disp_x * jnp.exp(-grad_img_x)) + jnp.mean(
      grad_disp_y * jnp.exp(-grad_img_y)
  )
