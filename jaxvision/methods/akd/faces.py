"""Procedural "faces" with three binary attributes, and an analytic oracle.

The CPU smoke task of the spec: 32x32 RGB, a grey background, a skin-coloured
ellipse (semi-axes 10 x 12.5 px, centre jittered +-1 px), and three
independent Bernoulli(0.5) attributes that each live in one face region:

  Blond_Hair        the cap of the ellipse above centre_y - 6 is yellow
                    (else dark brown);
  Eyeglasses        a 2-px dark bar across the eye row, 17 px wide;
  Wearing_Lipstick  the 2x7-px mouth is red (else pinkish).

`oracle` reads the attributes back from region statistics. It is exact on
real renders and stands in for the paper's ResNet-50 attribute classifier
(it needs no training data at all, so it cannot have seen the test set).
"""

import functools

import numpy as np

ATTRIBUTES = ("Blond_Hair", "Eyeglasses", "Wearing_Lipstick")
SIZE = 32
_SKIN = np.array([0.92, 0.72, 0.58], np.float32)
_BLOND = np.array([0.95, 0.85, 0.3], np.float32)
_DARK_HAIR = np.array([0.15, 0.1, 0.08], np.float32)
_GLASSES = np.array([0.05, 0.05, 0.05], np.float32)
_RED = np.array([0.85, 0.05, 0.1], np.float32)
_PINK = np.array([0.65, 0.45, 0.4], np.float32)


def render(attributes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """(N, 3) {0, 1} attributes -> (N, 32, 32, 3) float32 images in [0, 1]."""
  n = len(attributes)
  yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
  images = np.empty((n, SIZE, SIZE, 3), np.float32)
  for i, (blond, glasses, lipstick) in enumerate(attributes):
    cy, cx = 16 + rng.integers(-1, 2), 16 + rng.integers(-1, 2)
    image = np.full((SIZE, SIZE, 3), rng.uniform(0.2, 0.8), np.float32)
    face = ((xx - cx) / 10.0)**2 + ((yy - cy) / 12.5)**2 <= 1.0
    image[face] = _SKIN * rng.uniform(0.85, 1.05)
    image[face & (yy < cy - 6)] = _BLOND if blond else _DARK_HAIR
    if glasses:
      image[cy - 3:cy - 1, cx - 8:cx + 9] = _GLASSES
    image[cy + 5:cy + 7, cx - 3:cx + 4] = _RED if lipstick else _PINK
    images[i] = image
  images += rng.normal(0.0, 0.02, images.shape).astype(np.float32)
  return np.clip(images, 0.0, 1.0)


@functools.lru_cache(maxsize=8)
def dataset(n: int, seed: int) -> dict[str, np.ndarray]:
  """{"image": uint8 (n, 32, 32, 3), "attributes": int32 (n, 3)} from a seed.

  Cached (the arrays are treated as read-only). Train, held-out test and the
  evaluation classifier's data come from different seeds.
  """
  rng = np.random.default_rng(seed)
  attributes = rng.integers(0, 2, (n, len(ATTRIBUTES))).astype(np.int32)
  images = render(attributes, rng)
  return {"image": np.round(images * 255).astype(np.uint8),
          "attributes": attributes}


def oracle(images: np.ndarray) -> np.ndarray:
  """(N, 32, 32, 3) images in [0, 1] -> (N, 3) {0, 1} attribute decisions.

  Regions are chosen to contain the attribute for every centre jitter.
  """
  images = np.asarray(images, np.float32)
  n = len(images)
  hair = images[:, 6:9, 14:20, 1].mean((1, 2))  # green: blond .85, dark .1
  band = images[:, 11:17, 9:24].mean(-1).reshape(n, -1)
  darkest = np.sort(band, axis=1)[:, :15].mean(1)
  mouth = images[:, 19:25, 11:22]
  redness = (mouth[..., 0] - mouth[..., 1]).reshape(n, -1)
  reddest = np.sort(redness, axis=1)[:, -7:].mean(1)
  return np.stack([hair > 0.45, darkest < 0.3, reddest > 0.55],
                  axis=1).astype(np.int32)
