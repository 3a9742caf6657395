"""SD v1's DDPM noise schedule and the forward (noising) process q(z_t | z_0).

LDM's "linear" schedule is the *scaled* linear one (diffusers
`scaled_linear`): beta_t = linspace(sqrt(0.00085), sqrt(0.012), 1000)[t] ** 2,
t = 0..999 (spec pitfall 2: 0-indexed, and q uses alpha-bar, not beta).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

NUM_TIMESTEPS = 1000
BETA_START = 0.00085
BETA_END = 0.012


def betas(
    num_timesteps: int = NUM_TIMESTEPS,
    beta_start: float = BETA_START,
    beta_end: float = BETA_END,
) -> np.ndarray:
  """float32 [num_timesteps], computed in float64 then cast (as SD does)."""
  root = np.linspace(
      beta_start**0.5, beta_end**0.5, num_timesteps, dtype=np.float64
  )
  return (root**2).astype(np.float32)


def alphas_cumprod(
    num_timesteps: int = NUM_TIMESTEPS,
    beta_start: float = BETA_START,
    beta_end: float = BETA_END,
) -> np.ndarray:
  """alpha-bar_t = prod_{s <= t} (1 - beta_s), float32 [num_timesteps]."""
  b = betas(num_timesteps, beta_start, beta_end).astype(np.float64)
  return np.cumprod(1.0 - b).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Schedule:
  """The schedule's constants as arrays (static, hashable config)."""

  num_timesteps: int = NUM_TIMESTEPS
  beta_start: float = BETA_START
  beta_end: float = BETA_END

  def alphas_cumprod(self) -> jax.Array:
    return jnp.asarray(
        alphas_cumprod(self.num_timesteps, self.beta_start, self.beta_end)
    )

  def q_sample(
      self, z0: jax.Array, t: jax.Array, noise: jax.Array
  ) -> jax.Array:
    """z_t = sqrt(abar_t) z0 + sqrt(1 - abar_t) noise; t int [B] or scalar."""
    abar = self.alphas_cumprod()[jnp.asarray(t, jnp.int32)]
    abar = jnp.broadcast_to(abar, z0.shape[:1]).reshape(
        (-1,) + (1,) * (z0.ndim - 1)
    )
    return jnp.sqrt(abar) * z0 + jnp.sqrt(1.0 - abar) * noise


SD_V1 = Schedule()
