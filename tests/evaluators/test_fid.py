"""FID: closed form on Gaussians, identity, and the Inception feature path."""

import numpy as np
import pytest

from jaxvision.evaluators import fid
from jaxvision.models import inception


def test_frechet_distance_matches_hand_computation():
  # Diagonal covariances commute: Tr(S1 + S2 - 2 sqrt(S1 S2)) is
  # sum (sqrt(a) - sqrt(b))^2.
  mu1, mu2 = np.array([0.0, 1.0]), np.array([1.0, 3.0])
  s1, s2 = np.diag([1.0, 4.0]), np.diag([9.0, 1.0])
  expected = (1 + 4) + (1 - 3) ** 2 + (2 - 1) ** 2
  assert fid.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected)
  # 1-D: (m1 - m2)^2 + (s1 - s2)^2 for standard deviations s.
  assert fid.frechet_distance(
      np.array([2.0]), np.array([[4.0]]), np.array([-1.0]), np.array([[0.25]])
  ) == pytest.approx(9 + (2 - 0.5) ** 2)


def test_fid_of_samples_approaches_closed_form():
  rng = np.random.default_rng(0)
  a = rng.normal(0.0, 1.0, (20000, 3))
  b = rng.normal(0.5, 2.0, (20000, 3))
  expected = 3 * 0.25 + 3 * (2 - 1) ** 2
  assert fid.fid_from_features(a, b) == pytest.approx(expected, rel=0.03)
  assert fid.fid_from_features(a, a) == pytest.approx(0.0, abs=1e-6)


def test_feature_extractor_on_a_tiny_inception_file(tmp_path):
  path = tmp_path / "pt_inception_tiny.npz"
  np.savez(path, **inception.random_state_dict(width_div=32))
  extractor = fid.FeatureExtractor.from_file(str(path))
  images = np.random.default_rng(0).uniform(-1, 1, (3, 32, 32, 3))
  feats = extractor(images)
  assert feats.shape == (3, 2048 // 32)
  assert np.isfinite(feats).all()
  np.testing.assert_allclose(
      extractor(images[:1]), feats[:1], rtol=1e-4, atol=1e-5
  )


def test_missing_and_wrong_files(tmp_path):
  with pytest.raises(FileNotFoundError, match="pt_inception"):
    fid.load_state_dict(str(tmp_path / "nope.pth"))
  bad = tmp_path / "bad.npz"
  np.savez(bad, **{"fc.weight": np.zeros((2, 2))})
  with pytest.raises(ValueError, match="Inception-v3"):
    fid.FeatureExtractor.from_file(str(bad))
