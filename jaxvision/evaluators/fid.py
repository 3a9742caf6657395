"""Fréchet Inception Distance (Heusel et al. 2017).

  FID = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))

on Inception-v3 pool3 features (`jaxvision.models.inception`). Images in
[-1, 1] are bilinearly resized to 299 x 299 (pytorch-fid resizes the same
way, then maps [0, 1] to [-1, 1]). The matrix square root is scipy's
`sqrtm` in float64; its tiny imaginary part is dropped, and a singular
product is regularised with eps * I as in pytorch-fid.

NOTE: FID values depend on the Inception weights, the resize filter, and the
number and choice of real images; only compare numbers computed the same way.
"""

import os

import jax
import numpy as np
import scipy.linalg

from jaxvision.core import inference
from jaxvision.models import inception
from jaxvision.weights import torch_pickle

INPUT_SIZE = 299


def statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Mean and (N - 1)-normalised covariance of (N, D) features."""
  features = np.asarray(features, np.float64)
  if features.ndim != 2 or len(features) < 2:
    raise ValueError(f"FID needs (N >= 2, D) features, got {features.shape}.")
  return features.mean(0), np.cov(features, rowvar=False)


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    eps: float = 1e-6,
) -> float:
  """The Fréchet distance of two Gaussians N(mu1, sigma1), N(mu2, sigma2)."""
  mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
  sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
  if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
    raise ValueError(
        f"Statistics differ in shape: {mu1.shape} vs "
        f"{mu2.shape}, {sigma1.shape} vs {sigma2.shape}."
    )
  diff = mu1 - mu2
  covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
  if not np.isfinite(covmean).all():
    offset = np.eye(len(sigma1)) * eps
    covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
  covmean = np.real(covmean)
  return float(
      diff @ diff
      + np.trace(sigma1)
      + np.trace(sigma2)
      - 2.0 * np.trace(covmean)
  )


def fid_from_features(real: np.ndarray, fake: np.ndarray) -> float:
  return frechet_distance(*statistics(real), *statistics(fake))


def load_state_dict(path: str) -> dict[str, np.ndarray]:
  """A pytorch-fid Inception state dict from .pth (torch zip) or .npz."""
  path = os.path.expanduser(path)
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f"No Inception weights at {path!r}. Put pytorch-fid's "
        "pt_inception-2015-12-05-6726825d.pth there (or an .npz with the same "
        "keys) and set eval.fid.inception_ckpt."
    )
  if path.endswith(".npz"):
    with np.load(path) as archive:
      return {k: archive[k] for k in archive.files}
  return torch_pickle.state_dict(path)


class FeatureExtractor:
  """Images in [-1, 1] (any size) -> pool3 features, on the local devices."""

  def __init__(self, state: dict[str, np.ndarray], path: str = "<memory>"):
    self.width_div = inception.check_state_dict(state, path)
    params = {
        k: np.asarray(v, np.float32)
        for k, v in state.items()
        if k in inception.expected_shapes(self.width_div)
    }

    def features(p, x):
      x = jax.image.resize(
          x,
          (x.shape[0], INPUT_SIZE, INPUT_SIZE, 3),
          "bilinear",
          antialias=False,
      )
      return inception.pool3(p, x)

    self._run = inference.Replicated(params).jit(features)

  @classmethod
  def from_file(cls, path: str) -> "FeatureExtractor":
    return cls(load_state_dict(path), path)

  def __call__(self, images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
      raise ValueError(
          f"FID features need (N, H, W, 3) images, got " f"{images.shape}."
      )
    return np.asarray(self._run(images), np.float64)
