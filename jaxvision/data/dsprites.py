"""dSprites from the official .npz, and a factor sampler over a full grid.

The official file `dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz` holds
`imgs` (737,280 x 64 x 64 uint8 in {0, 1}) and `latents_classes` (factor
indices: colour 1, shape 3, scale 6, orientation 40, x 32, y 32) in
lexicographic factor order, so the image of factor indices c has index
sum_f c_f * stride_f. `FactorSampler` uses that to draw images with one
factor fixed (the Kim & Mnih metric).
"""

import functools
import os

import numpy as np

from jaxvision import user_errors

DSPRITES_FILE = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
DSPRITES_FACTORS = ("colour", "shape", "scale", "orientation", "x", "y")
DSPRITES_SIZES = (1, 3, 6, 40, 32, 32)


class FactorSampler:
  """Images of a complete factor grid stored in lexicographic order."""

  def __init__(self, images: np.ndarray, factor_sizes, factor_names=None):
    self.images = images
    self.factor_sizes = tuple(int(s) for s in factor_sizes)
    self.factor_names = tuple(
        factor_names or (f"f{i}" for i in range(len(factor_sizes)))
    )
    if len(images) != int(np.prod(self.factor_sizes)):
      raise user_errors.InvalidValueError(
          f"{len(images)} images do not form the full grid of "
          f"factor sizes {self.factor_sizes} "
          f"({int(np.prod(self.factor_sizes))} images)."
      )
    self.strides = np.cumprod((1,) + self.factor_sizes[::-1])[:-1][::-1]

  def index(self, classes: np.ndarray) -> np.ndarray:
    """[N, F] factor indices -> [N] image indices."""
    return np.asarray(classes, np.int64) @ self.strides

  def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.stack([rng.integers(s, size=n) for s in self.factor_sizes], 1)

  def sample(
      self, n: int, rng: np.random.Generator
  ) -> tuple[np.ndarray, np.ndarray]:
    """n images with uniformly random factors, and their factor indices."""
    classes = self.sample_factors(n, rng)
    return self.images[self.index(classes)], classes

  def sample_fixed(
      self, factor: int, value: int, n: int, rng: np.random.Generator
  ) -> np.ndarray:
    """n images whose factor `factor` is `value`, the others random."""
    classes = self.sample_factors(n, rng)
    classes[:, factor] = value
    return self.images[self.index(classes)]


@functools.lru_cache(maxsize=2)
def load(path: str) -> tuple[np.ndarray, np.ndarray]:
  """(images uint8 [N, 64, 64, 1], latents_classes [N, 6]) from the .npz.

  `path` is the .npz file or the directory holding it.
  """
  path = os.path.expanduser(path)
  if os.path.isdir(path):
    path = os.path.join(path, DSPRITES_FILE)
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"dSprites file {path} not found: put the official {DSPRITES_FILE} "
        "(github.com/deepmind/dsprites-dataset) there and set "
        "config.data.root to it or to its directory."
    )
  with np.load(path, allow_pickle=False, encoding="latin1") as data:
    missing = {"imgs", "latents_classes"} - set(data.files)
    if missing:
      raise user_errors.InvalidValueError(
          f"{path} lacks arrays {sorted(missing)}; expected the "
          "official dSprites .npz (imgs, latents_classes)."
      )
    images = np.asarray(data["imgs"], np.uint8)[..., None]
    classes = np.asarray(data["latents_classes"], np.int64)
  return images, classes


def sampler(path: str) -> FactorSampler:
  """A FactorSampler over the official file (checks the stored order)."""
  images, classes = load(path)
  sizes = tuple(int(c) + 1 for c in classes.max(axis=0))
  grid = FactorSampler(images, sizes, DSPRITES_FACTORS)
  probe = np.linspace(0, len(images) - 1, 17).astype(np.int64)
  if not np.array_equal(grid.index(classes[probe]), probe):
    raise user_errors.InvalidValueError(
        f"{path}: latents_classes are not in lexicographic "
        "factor order; cannot index images by factors."
    )
  return grid
