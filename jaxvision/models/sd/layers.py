"""Convolutional building blocks shared by the SD UNet and autoencoder.

NOTE (spec pitfall 6): the UNet's Downsample pads symmetrically by 1 before its
stride-2 conv, the autoencoder's pads (0, 1) on each axis and uses 'VALID';
Flax's 'SAME' would pad (0, 1) and silently break pretrained UNet weights.
NOTE (pitfall 7): GroupNorm eps is 1e-5 in UNet ResBlocks and 1e-6 in the
autoencoder and spatial transformers; norms always run in float32.
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Dtype = Any


def group_norm(groups: int, eps: float, name: str) -> nn.GroupNorm:
  # NOTE: exact two-pass variance, as torch computes it (parity to 1e-4).
  return nn.GroupNorm(
      num_groups=groups,
      epsilon=eps,
      dtype=jnp.float32,
      use_fast_variance=False,
      name=name,
  )


def conv(
    features: int,
    kernel: int,
    name: str,
    dtype: Dtype,
    stride: int = 1,
    padding: Any = None,
) -> nn.Conv:
  """A conv with torch's symmetric padding (k // 2) unless told otherwise."""
  if padding is None:
    padding = ((kernel // 2, kernel // 2),) * 2
  return nn.Conv(
      features,
      (kernel, kernel),
      strides=(stride, stride),
      padding=padding,
      dtype=dtype,
      name=name,
  )


class ResnetBlock(nn.Module):
  """GN -> SiLU -> conv3x3 (+ time emb) -> GN -> SiLU -> conv3x3, + skip.

  Used with a time embedding in the UNet and without one in the autoencoder.
  The skip is a 1x1 `conv_shortcut` when the channel count changes.
  """

  features: int
  groups: int = 32
  eps: float = 1e-5
  dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, temb: jax.Array | None = None) -> jax.Array:
    h = nn.silu(group_norm(self.groups, self.eps, "norm1")(x))
    h = conv(self.features, 3, "conv1", self.dtype)(h.astype(self.dtype))
    if temb is not None:
      emb = nn.Dense(self.features, dtype=self.dtype, name="time_emb_proj")(
          nn.silu(temb)
      )
      h = h + emb[:, None, None, :]
    h = nn.silu(group_norm(self.groups, self.eps, "norm2")(h))
    h = conv(self.features, 3, "conv2", self.dtype)(h.astype(self.dtype))
    if x.shape[-1] != self.features:
      x = conv(self.features, 1, "conv_shortcut", self.dtype)(x)
    return (x + h).astype(self.dtype)


class Downsample(nn.Module):
  """Stride-2 conv3x3: symmetric pad 1 (UNet) or pad (0, 1) + VALID (AE)."""

  features: int
  asymmetric: bool = False
  dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    padding = ((0, 1), (0, 1)) if self.asymmetric else ((1, 1), (1, 1))
    return conv(
        self.features, 3, "conv", self.dtype, stride=2, padding=padding
    )(x)


class Upsample(nn.Module):
  """Nearest-neighbour x2, then conv3x3."""

  features: int
  dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
    return conv(self.features, 3, "conv", self.dtype)(x)
