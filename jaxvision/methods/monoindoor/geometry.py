"""Camera geometry of view synthesis: poses, backprojection, warping.

Conventions (spec 5): K is in pixels at the image resolution, pixel (u, v) is
the centre of column u / row v; depths are z-depths; a pose `T` (4x4) maps
points of the target camera into the source camera (T_{t->t'}).

NOTE: sampling happens directly in pixel coordinates with border padding (the
coordinates are clamped, like PyTorch `grid_sample(padding_mode="border")`),
which sidesteps the [-1, 1] normalisation and align_corners half-pixel trap
(spec pitfall 6).
"""

import jax
import jax.numpy as jnp

EPS = 1e-7


def rodrigues(axisangle: jax.Array) -> jax.Array:
  """Axis-angle [..., 3] -> rotation matrices [..., 3, 3]."""
  theta = jnp.linalg.norm(axisangle, axis=-1, keepdims=True)
  k = axisangle / (theta + EPS)
  zero = jnp.zeros_like(k[..., 0])
  kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
  cross = jnp.stack(
      [zero, -kz, ky, kz, zero, -kx, -ky, kx, zero], axis=-1
  ).reshape(k.shape[:-1] + (3, 3))
  theta = theta[..., None]
  eye = jnp.eye(3, dtype=axisangle.dtype)
  return eye + jnp.sin(theta) * cross + (1 - jnp.cos(theta)) * (cross @ cross)


def make_pose(rotation: jax.Array, translation: jax.Array) -> jax.Array:
  """[..., 3, 3] and [..., 3] -> homogeneous [..., 4, 4]."""
  top = jnp.concatenate([rotation, translation[..., None]], axis=-1)
  bottom = jnp.broadcast_to(
      jnp.array([0.0, 0.0, 0.0, 1.0], rotation.dtype), top.shape[:-2] + (1, 4)
  )
  return jnp.concatenate([top, bottom], axis=-2)


def invert_pose(pose: jax.Array) -> jax.Array:
  """Exact inverse of rigid [..., 4, 4] poses: [R^T | -R^T t]."""
  rot_t = jnp.swapaxes(pose[..., :3, :3], -1, -2)
  return make_pose(rot_t, -(rot_t @ pose[..., :3, 3:])[..., 0])


def transformation_from_parameters(
    axisangle: jax.Array,
    translation: jax.Array,
    invert: bool | jax.Array = False,
) -> jax.Array:
  """Monodepth2's pose from 6 numbers: [R | t], or its inverse if `invert`.

  `invert` may be a boolean array broadcast over the leading axes, so one call
  handles a batch that mixes both source orderings.
  """
  pose = make_pose(rodrigues(axisangle), translation)
  invert = jnp.asarray(invert)[..., None, None]
  return jnp.where(invert, invert_pose(pose), pose)


def pixel_grid(height: int, width: int) -> jax.Array:
  """Homogeneous pixel centres [H, W, 3] = (u, v, 1)."""
  v, u = jnp.meshgrid(
      jnp.arange(height, dtype=jnp.float32),
      jnp.arange(width, dtype=jnp.float32),
      indexing="ij",
  )
  return jnp.stack([u, v, jnp.ones_like(u)], axis=-1)


def backproject(depth: jax.Array, intrinsics: jax.Array) -> jax.Array:
  """z-depth [B, H, W, 1] and K [B, 3, 3] -> camera points [B, H, W, 3]."""
  _, height, width, _ = depth.shape
  rays = jnp.einsum(
      "bij,hwj->bhwi", jnp.linalg.inv(intrinsics), pixel_grid(height, width)
  )
  return depth * rays


def transform(points: jax.Array, pose: jax.Array) -> jax.Array:
  """Applies [B, 4, 4] poses to points [B, H, W, 3]."""
  return (
      jnp.einsum("bij,bhwj->bhwi", pose[:, :3, :3], points)
      + pose[:, None, None, :3, 3]
  )


def project(
    points: jax.Array, intrinsics: jax.Array
) -> tuple[jax.Array, jax.Array]:
  """Camera points [B, H, W, 3] -> pixel coords [B, H, W, 2] and z [B, H, W]."""
  pix = jnp.einsum("bij,bhwj->bhwi", intrinsics, points)
  z = pix[..., 2]
  return pix[..., :2] / (z[..., None] + EPS), z


def bilinear_sample(image: jax.Array, uv: jax.Array) -> jax.Array:
  """Samples image [B, H, W, C] at pixel coords uv [B, h, w, 2] (border pad).

  Differentiable with respect to both the image and (inside the image) uv.
  """
  batch, height, width, channels = image.shape
  u = jnp.clip(uv[..., 0], 0.0, width - 1.0)
  v = jnp.clip(uv[..., 1], 0.0, height - 1.0)
  u0 = jnp.clip(jnp.floor(u), 0, width - 2).astype(jnp.int32)
  v0 = jnp.clip(jnp.floor(v), 0, height - 2).astype(jnp.int32)
  wu = (u - u0)[..., None]
  wv = (v - v0)[..., None]
  flat = image.reshape(batch, height * width, channels)

  def gather(vv, uu):
    index = (vv * width + uu).reshape(batch, -1, 1)
    return jnp.take_along_axis(flat, index, axis=1).reshape(
        uv.shape[:-1] + (channels,)
    )

  top = gather(v0, u0) * (1 - wu) + gather(v0, u0 + 1) * wu
  bottom = gather(v0 + 1, u0) * (1 - wu) + gather(v0 + 1, u0 + 1) * wu
  return top * (1 - wv) + bottom * wv


def in_view(uv: jax.Array, z: jax.Array, height: int, width: int) -> jax.Array:
  """[B, H, W] mask of projections inside the image and in front."""
  return (
      (uv[..., 0] >= 0)
      & (uv[..., 0] <= width - 1)
      & (uv[..., 1] >= 0)
      & (uv[..., 1] <= height - 1)
      & (z > 0)
  )


def warp(
    source: jax.Array, depth: jax.Array, pose: jax.Array, intrinsics: jax.Array
) -> tuple[jax.Array, jax.Array]:
  """Synthesises the target view from `source` (Eq 5.2/5.4).

  Args:
    source: [B, H, W, C] source image.
    depth: [B, H, W, 1] target z-depth.
    pose: [B, 4, 4] target->source transform T_{t->t'}.
    intrinsics: [B, 3, 3].

  Returns:
    The warped image [B, H, W, C] and the [B, H, W] validity mask.
  """
  _, height, width, _ = depth.shape
  uv, z = project(transform(backproject(depth, intrinsics), pose), intrinsics)
  return bilinear_sample(source, uv), in_view(uv, z, height, width)


def coord_channels(batch: int, height: int, width: int) -> jax.Array:
  """CoordConv row/column maps [B, H, W, 2] scaled to [-1, 1] (Eq 5.16)."""
  rows = 2 * jnp.arange(height, dtype=jnp.float32) / max(height - 1, 1) - 1
  cols = 2 * jnp.arange(width, dtype=jnp.float32) / max(width - 1, 1) - 1
  i, j = jnp.meshgrid(rows, cols, indexing="ij")
  return jnp.broadcast_to(jnp.stack([i, j], -1), (batch, height, width, 2))


def rotation_angle_deg(rotation: jax.Array) -> jax.Array:
  """Geodesic angle (degrees) of [..., 3, 3] rotations."""
  trace = jnp.trace(rotation, axis1=-2, axis2=-1)
  return jnp.degrees(jnp.arccos(jnp.clip((trace - 1) / 2, -1.0, 1.0)))
