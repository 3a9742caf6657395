"""SharinGAN's reconstruction, MDE task and FNE (SfSNet) losses (spec 4.2-4.4).

Depth maps are in the tanh encoding y in [-1, 1] <-> Z = (y + 1)/2 max_depth.
Multi-scale terms are summed over the task net's outputs, coarse to fine,
against label/image pyramids made by align-corners bilinear resizing (spec
pitfall 9; `jax.image.resize` uses half-pixel centres, so it is not used).
Photometric and smoothness targets are the original real images, never G(x)
(pitfall 8). The stereo terms use the shared `jaxvision.losses.photometric`.
"""

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.losses import photometric
from jaxvision.methods.sharingan import face_nets


def _align_corners_matrix(n_out: int, n_in: int) -> np.ndarray:
  """(n_out, n_in) linear-interpolation weights with aligned corners."""
  weights = np.zeros((n_out, n_in), np.float32)
  if n_out == 1 or n_in == 1:
    weights[:, 0] = 1.0
    return weights
  pos = np.arange(n_out) * (n_in - 1) / (n_out - 1)
  lo = np.minimum(np.floor(pos).astype(int), n_in - 2)
  frac = pos - lo
  weights[np.arange(n_out), lo] = 1 - frac
  weights[np.arange(n_out), lo + 1] += frac
  return weights


def resize_align_corners(x: jax.Array, height: int, width: int) -> jax.Array:
  """Bilinear NHWC resize with align_corners=True (PyTorch semantics)."""
  rows = _align_corners_matrix(height, x.shape[1])
  cols = _align_corners_matrix(width, x.shape[2])
  return jnp.einsum("hH,wW,bHWc->bhwc", rows, cols, x)


def pyramid(x: jax.Array, like: Sequence[jax.Array]) -> list[jax.Array]:
  """`x` resized to the spatial size of each map in `like`."""
  return [
      x
      if p.shape[1:3] == x.shape[1:3]
      else resize_align_corners(x, p.shape[1], p.shape[2])
      for p in like
  ]


def decode_depth(y: jax.Array, max_depth: float) -> jax.Array:
  """tanh output in [-1, 1] -> metres in [0, max_depth]."""
  return (y + 1.0) / 2.0 * max_depth


def encode_depth(depth: jax.Array, max_depth: float) -> jax.Array:
  """Metres -> [-1, 1], clipped at max_depth (vKITTI sky becomes max)."""
  return jnp.clip(depth, 0.0, max_depth) / max_depth * 2.0 - 1.0


def supervised_l1(preds: Sequence[jax.Array], target: jax.Array) -> jax.Array:
  """Eq 2.5: sum over scales of mean |d_s - pyr(y*)_s| (encoded depth)."""
  return sum(
      jnp.mean(jnp.abs(p - t)) for p, t in zip(preds, pyramid(target, preds))
  )


def smoothness(
    preds: Sequence[jax.Array],
    image: jax.Array,
    weighting: str = "coarse_first",
) -> jax.Array:
  """Eq 2.6, edge-aware, sum over scales with weight 1/2^i.

  NOTE: with `coarse_first` (the official code's list order) i = 0 is the
  coarsest scale, so the coarsest map gets weight 1 and the finest 1/8.
  The predictions are the encoded depths and the image is the original real
  image in [-1, 1], as in the reference code.
  """
  if weighting not in ("coarse_first", "fine_first"):
    raise ValueError(
        f"loss.smooth_scale_weighting={weighting!r}; valid: "
        "coarse_first, fine_first."
    )
  order = (
      range(len(preds))
      if weighting == "coarse_first"
      else range(len(preds) - 1, -1, -1)
  )
  images = pyramid(image, preds)
  return sum(
      photometric.edge_aware_smoothness(p, im, normalize=False) / 2**i
      for i, p, im in zip(order, preds, images)
  )


def warp_horizontal(right: jax.Array, disp_px: jax.Array) -> jax.Array:
  """Samples `right` at (u - disp, v): the right view seen from the left.

  Monodepth's `bilinear_sampler_1d_h`: linear interpolation along rows, the
  image zero-padded by one pixel and coordinates clamped into the padded
  range, so out-of-view samples fade to 0 (spec pitfall 11). `disp_px` is
  (B, H, W, 1) in pixels; positive disparity looks further left.
  """
  w = right.shape[2]
  padded = jnp.pad(right, ((0, 0), (0, 0), (1, 1), (0, 0)))
  x = jnp.arange(w, dtype=right.dtype)[None, None, :] - disp_px[..., 0] + 1
  x = jnp.clip(x, 0.0, w + 1.0)
  x0 = jnp.floor(x)
  frac = (x - x0)[..., None]
  x0 = x0.astype(jnp.int32)
  x1 = jnp.minimum(x0 + 1, w + 1)
  take = jax.vmap(jax.vmap(lambda row, idx: row[idx]))
  return take(padded, x0) * (1 - frac) + take(padded, x1) * frac


def geometric_consistency(
    preds: Sequence[jax.Array],
    left: jax.Array,
    right: jax.Array,
    fb: jax.Array,
    max_depth: float,
    eta: float = 0.85,
    mu: float = 0.15,
) -> jax.Array:
  """Eq 2.7 summed over scales: SSIM + L1 between x_r and the warped x_r^R.

  `left`/`right` are the original real images in [-1, 1] (mapped to [0, 1]
  here), `fb` (B,) is focal x baseline in pixels x metres at the network's
  input width; at a scale of width W_i disparity is fb * W_i / W_in / Z.
  """
  width = left.shape[2]
  total = 0.0
  for pred, l, r in zip(preds, pyramid(left, preds), pyramid(right, preds)):
    depth = decode_depth(pred, max_depth)
    fb_i = fb.reshape(-1, 1, 1, 1) * (pred.shape[2] / width)
    warped = warp_horizontal((r + 1) / 2, fb_i / (depth + 1e-6))
    error = photometric.photometric_error(
        warped, (l + 1) / 2, alpha=eta / (eta + mu)
    )
    total = total + (eta + mu) * jnp.mean(error)
  return total


def reconstruction(shared: jax.Array, original: jax.Array) -> jax.Array:
  """Eq 2.4 as in the code: the *mean* squared error (alpha2 is tuned to it)."""
  return jnp.mean((shared - original) ** 2)


def sfs(
    outputs,
    target: dict[str, jax.Array],
    image: jax.Array,
    weights: dict[str, float],
) -> jax.Array:
  """Eq 2.9 with SfSNet's reductions: sums over pixels divided by batch.

  `target` holds normal ((n+1)/2), albedo, light[27] and mask (B, H, W, 1);
  `image` is the original input in [0, 1] (not G(x)), reconstructed as
  shading x albedo (pitfall 13: these reductions set the weights' scale).
  """
  normal, albedo, light = outputs
  mask = target["mask"]
  batch = image.shape[0]
  l_n = jnp.sum(jnp.abs((normal - target["normal"]) * mask)) / batch
  l_a = jnp.sum(jnp.abs((albedo - target["albedo"]) * mask)) / batch
  l_l = jnp.sum((light - target["light"]) ** 2) / (2 * batch)
  recon = face_nets.sh_shading(normal, light) * albedo
  l_r = jnp.sum(jnp.abs((recon - image) * mask)) / batch
  return (
      weights["recon"] * l_r
      + weights["normal"] * l_n
      + weights["albedo"] * l_a
      + weights["light"] * l_l
  )
