"""Mesh metrics against hand-computed values."""

import numpy as np
import pytest

from jaxvision.evaluators import mesh


def _rotation(angle):
  c, s = np.cos(angle), np.sin(angle)
  return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def test_mpjpe_hand_computed():
  gt = np.zeros((1, 14, 3))
  pred = gt.copy()
  pred[0, 0] = [0.03, 0.04, 0.0]  # 5 cm on one joint, hips untouched
  np.testing.assert_allclose(mesh.mpjpe(pred, gt)[0, 0], 0.05)
  np.testing.assert_allclose(mesh.mpjpe(pred, gt).mean(), 0.05 / 14)
  # A global translation is removed by the mid-hip alignment.
  np.testing.assert_allclose(mesh.mpjpe(gt + 0.3, gt), 0.0, atol=1e-12)


def test_pelvis_is_mid_hip():
  joints = np.zeros((14, 3))
  joints[2], joints[3] = [1, 0, 0], [3, 0, 0]
  np.testing.assert_allclose(mesh.align_pelvis(joints)[2], [-1, 0, 0])


def test_pa_mpjpe_zero_for_similarity_and_below_mpjpe():
  rng = np.random.default_rng(0)
  gt = rng.normal(size=(5, 14, 3))
  similar = 1.7 * gt @ _rotation(0.8).T + np.array([0.2, -1.0, 3.0])
  np.testing.assert_allclose(mesh.pa_mpjpe(similar, gt), 0.0, atol=1e-9)
  noisy = gt + rng.normal(0, 0.1, gt.shape)
  assert mesh.pa_mpjpe(noisy, gt).mean() <= mesh.mpjpe(noisy, gt).mean()


def test_accel_error_hand_computed_and_constant_offset():
  gt = np.zeros((4, 14, 3))
  pred = gt.copy()
  pred[1, 0, 0] = 0.01  # a 1 cm spike on one joint at t=1
  # accel at t=1: -0.02; at t=2: 0.01 (hips unchanged), averaged over joints.
  np.testing.assert_allclose(mesh.accel_error(pred, gt), [0.02 / 14, 0.01 / 14])
  np.testing.assert_allclose(mesh.accel_error(gt + 0.5, gt), 0.0)
  np.testing.assert_allclose(mesh.accel_error(gt, gt), 0.0)


def test_accumulator_never_differences_across_sequences():
  rng = np.random.default_rng(1)
  a, b = rng.normal(size=(2, 6, 14, 3))
  acc = mesh.Accumulator()
  acc.add(["a"] * 6, range(6), a, a)
  # b's ankle off by a constant: zero accel error within b, a jump from a.
  offset = np.zeros((14, 3))
  offset[0] = 1.0
  acc.add(["b"] * 6, range(6), b + offset, b)
  out = acc.results()
  assert out["accel_error"] == pytest.approx(0.0, abs=1e-9)
  concat = mesh.Accumulator("vibe_concat")
  concat.add(["a"] * 6, range(6), a, a)
  concat.add(["b"] * 6, range(6), b + offset, b)
  assert concat.results()["accel_error"] > 1.0


def test_results_in_mm_with_parts_groups_and_pve():
  gt = np.zeros((2, 14, 3))
  pred = gt.copy()
  pred[:, 0, 2] = 0.01  # right ankle 10 mm off
  acc = mesh.Accumulator()
  acc.add(
      ["s", "s"],
      [0, 1],
      pred,
      gt,
      np.ones((2, 5, 3)),
      np.zeros((2, 5, 3)),
      groups=["Walking", "Eating"],
  )
  out = acc.results()
  assert out["mpjpe"] == pytest.approx(10 / 14)
  assert out["mpjpe_right_leg"] == pytest.approx(10 / 3)
  assert out["mpjpe_left_arm"] == pytest.approx(0.0)
  assert out["pve"] == pytest.approx(np.sqrt(3) * 1000)
  assert "pa_mpjpe_Walking" in out and "accel_error" not in out


def test_h36m_17_joints_map_to_lsp14_and_errors():
  h36m = np.arange(17 * 3, dtype=float).reshape(17, 3)
  np.testing.assert_array_equal(mesh.to_lsp14(h36m)[0], h36m[6])
  with pytest.raises(ValueError, match="17"):
    mesh.to_lsp14(np.zeros((24, 3)))
  with pytest.raises(ValueError, match="empty"):
    mesh.Accumulator().results()
  with pytest.raises(ValueError, match="accel_mode"):
    mesh.Accumulator("bad")
