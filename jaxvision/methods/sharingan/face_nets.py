"""FNE networks: RBDN generator (spec 3.4) and SfSNet task net (spec 3.5).

Both take face images in [0, 1] (not [-1, 1]) and have linear outputs: RBDN
maps an image to the shared space, SfSNet predicts a normal map in the
(n+1)/2 encoding, an albedo map and 27 SH lighting coefficients.
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.methods.sharingan import layers

# SfSNet: Xavier-uniform with gain sqrt(2) for convs, Linear N(0, 1), bias 1.
_XAVIER_GAIN2 = nn.initializers.variance_scaling(2.0, "fan_avg", "uniform")


def _cbr(
    x,
    features,
    train,
    *,
    stride=1,
    transpose=False,
    kernel=3,
    kernel_init=nn.initializers.lecun_normal(),
):
  """3x3 conv (or stride-2 transposed conv) -> BN -> ReLU."""
  if transpose:
    x = nn.ConvTranspose(
        features,
        (3, 3),
        strides=(2, 2),
        padding=((1, 2), (1, 2)),
        transpose_kernel=True,
    )(x)
  else:
    pad = kernel // 2
    x = nn.Conv(
        features,
        (kernel, kernel),
        strides=(stride, stride),
        padding=((pad, pad), (pad, pad)),
        kernel_init=kernel_init,
    )(x)
  return nn.relu(layers.batch_norm(train, "ones")(x))


class RBDN(nn.Module):
  """Recursively branched deconvolutional network, 3 branches, F features."""

  features: int = 128

  @nn.compact
  def __call__(self, x: jax.Array, train: bool):
    f = self.features
    x = layers.batch_norm(train, "ones")(x)
    s1 = _cbr(x, f, train)
    t = _cbr(s1, f, train)
    s2 = _cbr(t, f, train, stride=2)
    t = _cbr(s2, f, train)
    s3 = _cbr(t, f, train, stride=2)
    t = _cbr(s3, f, train)
    s4 = _cbr(t, f, train, stride=2)
    up = s4
    for skip in (None, s3, s2):
      if skip is not None:
        up = jnp.concatenate([skip, up], -1)
      t = _cbr(up, f, train)
      t = _cbr(t, f, train, transpose=True)
      up = _cbr(t, f, train)
    features = jnp.concatenate([s1, up], -1)
    t = _cbr(features, f, train)
    for _ in range(4):
      t = _cbr(t, f, train)
    out = nn.Conv(3, (3, 3), padding=((1, 1), (1, 1)))(t)
    return features, out


class _ResBlock(nn.Module):
  """Pre-activation residual block: x + conv(relu(bn(conv(relu(bn(x))))))."""

  @nn.compact
  def __call__(self, x, train):
    c = x.shape[-1]
    h = nn.relu(layers.batch_norm(train, "ones")(x))
    h = nn.Conv(c, (3, 3), padding=((1, 1), (1, 1)), kernel_init=_XAVIER_GAIN2)(
        h
    )
    h = nn.relu(layers.batch_norm(train, "ones")(h))
    h = nn.Conv(c, (3, 3), padding=((1, 1), (1, 1)), kernel_init=_XAVIER_GAIN2)(
        h
    )
    return x + h


class _Branch(nn.Module):
  """SfSNet normal/albedo branch: 5 ResBlocks -> BN/ReLU -> up x2 -> head."""

  @nn.compact
  def __call__(self, c3, train):
    h = c3
    for _ in range(5):
      h = _ResBlock()(h, train)
    feats = nn.relu(layers.batch_norm(train, "ones")(h))
    b, hh, ww, c = feats.shape
    h = jax.image.resize(feats, (b, 2 * hh, 2 * ww, c), "bilinear")
    h = _cbr(h, 128, train, kernel=1, kernel_init=_XAVIER_GAIN2)
    h = _cbr(h, 64, train, kernel_init=_XAVIER_GAIN2)
    return feats, nn.Conv(3, (1, 1), kernel_init=_XAVIER_GAIN2)(h)


class SfSNet(nn.Module):
  """Shape-from-shading net: (normal (n+1)/2, albedo, light[27])."""

  @nn.compact
  def __call__(self, x: jax.Array, train: bool):
    h = _cbr(x, 64, train, kernel=7, kernel_init=_XAVIER_GAIN2)
    h = _cbr(h, 128, train, kernel_init=_XAVIER_GAIN2)
    c3 = nn.Conv(
        128,
        (3, 3),
        strides=(2, 2),
        padding=((1, 1), (1, 1)),
        kernel_init=_XAVIER_GAIN2,
    )(h)
    nro, normal = _Branch(name="normal")(c3, train)
    aro, albedo = _Branch(name="albedo")(c3, train)
    h = jnp.concatenate([c3, nro, aro], -1)
    h = _cbr(h, 128, train, kernel=1, kernel_init=_XAVIER_GAIN2)
    h = jnp.mean(h, axis=(1, 2))
    light = nn.Dense(
        27,
        kernel_init=nn.initializers.normal(1.0),
        bias_init=nn.initializers.ones,
    )(h)
    return normal, albedo, light


def sh_shading(normal_encoded: jax.Array, light: jax.Array) -> jax.Array:
  """2nd-order SH shading (B, H, W, 3) of (n+1)/2 normals and light[27].

  The light vector is ordered [R0..8, G0..8, B0..8] (spec 4.4).
  """
  n = 2.0 * normal_encoded - 1.0
  n = n / jnp.maximum(jnp.linalg.norm(n, axis=-1, keepdims=True), 1e-8)
  nx, ny, nz = n[..., 0], n[..., 1], n[..., 2]
  att = (math.pi, 2 * math.pi / 3, math.pi / 4)
  c1 = att[0] / math.sqrt(4 * math.pi)
  c2 = att[1] * math.sqrt(3 / (4 * math.pi))
  c3 = att[2] * 0.5 * math.sqrt(5 / (4 * math.pi))
  c4 = att[2] * 3 * math.sqrt(5 / (12 * math.pi))
  c5 = att[2] * 3 * math.sqrt(5 / (48 * math.pi))
  basis = jnp.stack(
      [
          c1 * jnp.ones_like(nx),
          c2 * nz,
          c2 * nx,
          c2 * ny,
          c3 * (2 * nz**2 - nx**2 - ny**2),
          c4 * nx * nz,
          c4 * ny * nz,
          c5 * (nx**2 - ny**2),
          c4 * nx * ny,
      ],
      axis=-1,
  )
  coeffs = light.reshape(light.shape[0], 3, 9)
  return jnp.einsum("bhwk,bck->bhwc", basis, coeffs)
