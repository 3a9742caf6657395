"""Deterministic geometry checks (spec 12): no training involved."""

import jax.numpy as jnp
import numpy as np

from jaxvision.losses import photometric
from jaxvision.methods.monoindoor import data
from jaxvision.methods.monoindoor import geometry
from jaxvision.methods.monoindoor import losses
from jaxvision.methods.monoindoor import room


def _k(batch=1):
  return jnp.asarray(np.broadcast_to(room.Camera().intrinsics, (batch, 3, 3)))


def test_backproject_then_project_is_identity():
  depth = jnp.asarray(np.random.default_rng(0).uniform(0.5, 5, (2, 32, 64, 1)),
                      jnp.float32)
  uv, z = geometry.project(geometry.backproject(depth, _k(2)), _k(2))
  grid = geometry.pixel_grid(32, 64)[..., :2]
  np.testing.assert_allclose(uv, np.broadcast_to(grid, uv.shape), atol=1e-3)
  np.testing.assert_allclose(z, depth[..., 0], rtol=1e-5)


def test_bilinear_sample_matches_analytic_shift():
  u = np.arange(8, dtype=np.float32)
  image = jnp.asarray(np.broadcast_to(u[None, None, :, None], (1, 5, 8, 1)))
  uv = geometry.pixel_grid(5, 8)[None, ..., :2] + jnp.array([0.25, 0.0])
  out = geometry.bilinear_sample(image, uv)[0, :, :, 0]
  expected = np.minimum(u + 0.25, 7.0)  # border padding clamps at the edge
  np.testing.assert_allclose(out, np.broadcast_to(expected, (5, 8)),
                             atol=1e-6)


def test_pose_parameters_invert_exactly():
  a, t = jnp.array([[0.1, -0.2, 0.3]]), jnp.array([[0.5, 0.1, -0.3]])
  pose = geometry.transformation_from_parameters(a, t, False)
  inv = geometry.transformation_from_parameters(a, t, True)
  np.testing.assert_allclose(pose[0] @ inv[0], np.eye(4), atol=1e-6)
  angle = geometry.rotation_angle_deg(pose[:, :3, :3])
  np.testing.assert_allclose(angle, np.degrees(np.linalg.norm(a)), rtol=1e-4)


def test_coord_channels_span_minus_one_to_one():
  coords = geometry.coord_channels(2, 32, 64)
  assert coords.shape == (2, 32, 64, 2)
  for c in range(2):
    assert float(coords[..., c].min()) == -1.0
    assert float(coords[..., c].max()) == 1.0
  np.testing.assert_allclose(coords[0, :, 0, 0], np.linspace(-1, 1, 32),
                             atol=1e-6)


def test_ssim_of_identical_images_is_zero():
  x = jnp.asarray(np.random.default_rng(1).uniform(size=(1, 8, 8, 3)))
  assert float(jnp.max(photometric.ssim_distance(x, x))) < 1e-6


def _gt_triplet():
  seq = room.sequence(3, frames=3)
  rel = data.relative_poses(seq["poses"].astype(np.float64))
  target = jnp.asarray(seq["images"][1:2])
  source = jnp.asarray(seq["images"][2:3])
  depth = jnp.asarray(seq["depth"][1:2, ..., None])
  return target, source, depth, jnp.asarray(rel[1:2], jnp.float32)


def test_warp_with_gt_depth_and_pose_reproduces_target():
  target, source, depth, pose = _gt_triplet()
  warped, valid = geometry.warp(source, depth, pose, _k())
  err = photometric.photometric_error(warped, target)[0, ..., 0]
  identity = photometric.photometric_error(source, target)[0, ..., 0]
  mask = np.asarray(valid[0])
  assert mask.mean() > 0.5
  # NOTE: the median, because texture near the Nyquist limit of 32x64
  # frames leaves bilinear resampling error on checker / noise edges.
  assert float(np.median(err[mask])) < 0.02
  assert float(err[mask].mean()) < 0.15 * float(identity[mask].mean())


def test_sequential_and_composed_residual_warps_agree():
  target, source, depth, pose = _gt_triplet()
  perturb = geometry.transformation_from_parameters(
      jnp.array([[0.02, -0.01, 0.015]]), jnp.array([[0.03, 0.0, -0.02]]))
  p0 = perturb @ pose
  p1 = jnp.linalg.inv(p0) @ pose
  steps = jnp.stack([p0, p1], axis=1)
  composed = losses._warp_source(source, depth, steps, _k(), "composed")
  sequential = losses._warp_source(source, depth, steps, _k(), "sequential")
  _, valid = geometry.warp(source, depth, pose, _k())
  v0 = geometry.warp(source, depth, p0, _k())[1]
  mask = np.asarray(valid[0] & v0[0])
  for image in (composed, sequential):
    err = photometric.photometric_error(image, target)[0, ..., 0]
    assert float(np.median(err[mask])) < 0.03
