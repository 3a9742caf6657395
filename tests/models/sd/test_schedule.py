"""The SD v1 scaled-linear schedule and q_sample."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.models.sd import schedule


def test_scaled_linear_betas():
  betas = schedule.betas()
  assert betas.shape == (1000,)
  np.testing.assert_allclose(betas[[0, -1]], [0.00085, 0.012], rtol=1e-6)
  # The square of a linspace of square roots, not a plain linspace.
  mid = ((0.00085**0.5 + 0.012**0.5) / 2) ** 2
  np.testing.assert_allclose(betas[[499, 500]].mean(), mid, rtol=1e-3)
  assert abs(betas[500] - (0.00085 + 0.012) / 2) > 1e-4


def test_alphas_cumprod_matches_closed_form():
  abar = schedule.alphas_cumprod()
  np.testing.assert_allclose(abar[0], 1 - 0.00085, rtol=1e-6)
  np.testing.assert_allclose(
      abar[999], np.prod(1 - schedule.betas().astype(np.float64)), rtol=1e-5
  )
  # SD v1's published alphas_cumprod[999] is 0.0047.
  np.testing.assert_allclose(abar[999], 0.0047, atol=1e-4)


def test_q_sample_uses_alpha_bar_per_example():
  z0 = jnp.ones((2, 2, 2, 1))
  noise = jnp.full((2, 2, 2, 1), 2.0)
  t = jnp.array([0, 999])
  z_t = schedule.SD_V1.q_sample(z0, t, noise)
  abar = schedule.alphas_cumprod()[[0, 999]]
  want = np.sqrt(abar) + 2 * np.sqrt(1 - abar)
  np.testing.assert_allclose(z_t[:, 0, 0, 0], want, rtol=1e-6)
  jitted = jax.jit(schedule.SD_V1.q_sample)(z0, t, noise)
  np.testing.assert_allclose(jitted, z_t, rtol=1e-6)
