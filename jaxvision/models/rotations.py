"""Rotation conversions: axis-angle, rotation matrices, 6D, quaternions.

All functions are batched over leading axes and safe to differentiate at the
identity: Rodrigues, the 6D Gram-Schmidt and the matrix -> axis-angle path
never divide by a norm that can be zero (JAX would give NaN gradients there,
spec pitfall 5).

6D layout (Zhou et al.; SPIN/VIBE, spec 3.3): the 6 numbers are a 3x2 matrix
flattened row-major whose two *columns* a1, a2 are the first two basis vectors
of R. Other layouts (e.g. the first two rows) are not interchangeable: SPIN's
`smpl_mean_params.npz` pose is in this layout.
"""

import jax.numpy as jnp

_EPS = 1e-8


def _safe_norm(x, axis=-1, keepdims=False):
  return jnp.sqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=keepdims) + _EPS)


def skew(v):
  """[..., 3] -> [..., 3, 3] cross-product matrices [v]x."""
  x, y, z = v[..., 0], v[..., 1], v[..., 2]
  zero = jnp.zeros_like(x)
  return jnp.stack(
      [
          jnp.stack([zero, -z, y], -1),
          jnp.stack([z, zero, -x], -1),
          jnp.stack([-y, x, zero], -1),
      ],
      -2,
  )


def axis_angle_to_matrix(r):
  """Rodrigues: [..., 3] axis-angle -> [..., 3, 3].

  R = I + a(θ) K + b(θ) K² with K = [r]x (unnormalised), a = sinθ/θ and
  b = (1 - cosθ)/θ². Near θ = 0 both use their Taylor series.
  """
  theta2 = jnp.sum(jnp.square(r), axis=-1)
  small = theta2 < 1e-6
  # NOTE: double-where: the unused branch must not see theta2 = 0 either,
  # or its NaN gradient leaks through jnp.where.
  safe2 = jnp.where(small, 1.0, theta2)
  theta = jnp.sqrt(safe2)
  a = jnp.where(small, 1.0 - theta2 / 6.0, jnp.sin(theta) / theta)
  b = jnp.where(small, 0.5 - theta2 / 24.0, (1.0 - jnp.cos(theta)) / safe2)
  k = skew(r)
  eye = jnp.eye(3, dtype=r.dtype)
  return eye + a[..., None, None] * k + b[..., None, None] * (k @ k)


def rot6d_to_matrix(x):
  """[..., 6] (3x2 row-major, columns = basis vectors) -> [..., 3, 3]."""
  m = x.reshape(x.shape[:-1] + (3, 2))
  a1, a2 = m[..., 0], m[..., 1]
  b1 = a1 / _safe_norm(a1, keepdims=True)
  a2 = a2 - jnp.sum(b1 * a2, axis=-1, keepdims=True) * b1
  b2 = a2 / _safe_norm(a2, keepdims=True)
  b3 = jnp.cross(b1, b2)
  return jnp.stack([b1, b2, b3], axis=-1)


def matrix_to_rot6d(rotmat):
  """[..., 3, 3] -> [..., 6]: the first two columns, flattened row-major."""
  return rotmat[..., :, :2].reshape(rotmat.shape[:-2] + (6,))


def matrix_to_quaternion(rotmat):
  """[..., 3, 3] -> [..., 4] unit quaternion (w, x, y, z), w >= 0.

  Shepperd's method: of the four algebraically equal formulas, use the one
  whose divisor (2 * the largest of |w|, |x|, |y|, |z|) is largest.
  """
  m = rotmat
  m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
  candidates_sq = jnp.stack(
      [
          1 + m00 + m11 + m22,
          1 + m00 - m11 - m22,
          1 - m00 + m11 - m22,
          1 - m00 - m11 + m22,
      ],
      -1,
  )
  root = jnp.sqrt(jnp.maximum(candidates_sq, _EPS))
  d21, d02, d10 = (
      m[..., 2, 1] - m[..., 1, 2],
      m[..., 0, 2] - m[..., 2, 0],
      m[..., 1, 0] - m[..., 0, 1],
  )
  s01, s02, s12 = (
      m[..., 0, 1] + m[..., 1, 0],
      m[..., 0, 2] + m[..., 2, 0],
      m[..., 1, 2] + m[..., 2, 1],
  )
  quats = (
      jnp.stack(
          [
              jnp.stack([root[..., 0] ** 2, d21, d02, d10], -1)
              / root[..., 0:1],
              jnp.stack([d21, root[..., 1] ** 2, s01, s02], -1)
              / root[..., 1:2],
              jnp.stack([d02, s01, root[..., 2] ** 2, s12], -1)
              / root[..., 2:3],
              jnp.stack([d10, s02, s12, root[..., 3] ** 2], -1)
              / root[..., 3:4],
          ],
          -2,
      )
      / 2.0
  )
  best = jnp.argmax(candidates_sq, axis=-1)
  q = jnp.take_along_axis(quats, best[..., None, None], axis=-2)[..., 0, :]
  return jnp.where(q[..., :1] < 0, -q, q)


def quaternion_to_axis_angle(q):
  """[..., 4] (w, x, y, z) -> [..., 3]; angle in [0, π] for w >= 0."""
  v = q[..., 1:]
  sin_half2 = jnp.sum(jnp.square(v), axis=-1)
  small = sin_half2 < 1e-12
  sin_half = jnp.sqrt(jnp.where(small, 1.0, sin_half2))
  angle = 2.0 * jnp.arctan2(sin_half, q[..., 0])
  # Small angles: angle / sin(angle/2) -> 2 / w.
  scale = jnp.where(small, 2.0 / q[..., 0], angle / sin_half)
  return v * scale[..., None]


def matrix_to_axis_angle(rotmat):
  """[..., 3, 3] -> [..., 3] axis-angle (via quaternions, stable near π)."""
  return quaternion_to_axis_angle(matrix_to_quaternion(rotmat))


def axis_angle_to_rot6d(r):
  return matrix_to_rot6d(axis_angle_to_matrix(r))


def rot6d_to_axis_angle(x):
  return matrix_to_axis_angle(rot6d_to_matrix(x))


# Named converters to rotation matrices, for config-selected parameterisations.
TO_MATRIX = {"6d": rot6d_to_matrix, "axis_angle": axis_angle_to_matrix}
FROM_MATRIX = {"6d": matrix_to_rot6d, "axis_angle": matrix_to_axis_angle}
DIMS = {"6d": 6, "axis_angle": 3}
