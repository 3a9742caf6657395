"""Photometric losses against direct NumPy computations."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision.losses import photometric


def _numpy_ssim_distance(x, y):
  pad = lambda a: np.pad(a, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")

  def pool(a):
    a = pad(a)
    h, w = a.shape[1] - 2, a.shape[2] - 2
    return (
        sum(a[:, i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9
    )

  mx, my = pool(x), pool(y)
  sx, sy = pool(x * x) - mx**2, pool(y * y) - my**2
  sxy = pool(x * y) - mx * my
  c1, c2 = 0.01**2, 0.03**2
  s = (
      (2 * mx * my + c1)
      * (2 * sxy + c2)
      / ((mx**2 + my**2 + c1) * (sx + sy + c2))
  )
  return np.clip((1 - s) / 2, 0, 1)


def test_ssim_distance_matches_numpy_and_is_zero_on_identity():
  rng = np.random.default_rng(0)
  x = rng.random((2, 6, 7, 3)).astype(np.float32)
  y = np.clip(x + 0.1 * rng.standard_normal(x.shape), 0, 1).astype(np.float32)
  np.testing.assert_allclose(
      photometric.ssim_distance(x, y), _numpy_ssim_distance(x, y), atol=1e-5
  )
  assert float(jnp.max(photometric.ssim_distance(x, x))) < 1e-5


def test_photometric_error_mixes_ssim_and_l1():
  rng = np.random.default_rng(1)
  x = rng.random((1, 5, 5, 3)).astype(np.float32)
  y = rng.random((1, 5, 5, 3)).astype(np.float32)
  err = photometric.photometric_error(x, y, alpha=0.85)
  assert err.shape == (1, 5, 5, 1)
  expected = 0.85 * _numpy_ssim_distance(x, y).mean(
      -1, keepdims=True
  ) + 0.15 * np.abs(x - y).mean(-1, keepdims=True)
  np.testing.assert_allclose(err, expected, atol=1e-5)


def test_smoothness_is_scale_free_and_edge_aware():
  disp = np.tile(np.linspace(1, 2, 4)[None, None, :, None], (1, 4, 1, 1))
  flat = np.zeros((1, 4, 4, 3), np.float32)
  value = float(photometric.edge_aware_smoothness(disp, flat))
  # |d/dx| of disp / mean(disp) is (1/3) / 1.5 on 12 of 12 x-pairs; y is 0.
  assert value == pytest.approx((1 / 3) / 1.5, rel=1e-5)
  assert float(photometric.edge_aware_smoothness(10 * disp, flat)) == (
      pytest.approx(value, rel=1e-5)
  )
  edges = np.tile(np.array([0, 1, 0, 1.0])[None, None, :, None], (1, 4, 1, 3))
  assert float(photometric.edge_aware_smoothness(disp, edges)) < value
