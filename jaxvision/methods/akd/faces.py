"""Procedural "faces" with three binary attributes, and an analytic oracle.

The CPU smoke task of the spec, drawn at 32x32 (the spec's size) or 16x16
(the same face scaled by 1/2; the smoke config's size): an RGB image with a
grey background, a skin-coloured ellipse (semi-axes 10 x 12.5 px at 32 px,
centre jittered +-1 px) and three independent Bernoulli(0.5) attributes that
each live in one face region (sizes at 32 px):

  Blond_Hair        the cap of the ellipse above centre_y - 6 is yellow
                    (else dark brown);
  Eyeglasses        a 2-px dark bar across the eye row, 17 px wide;
  Wearing_Lipstick  the 2x7-px mouth is red (else pinkish).

At 16 px every length and the jitter are halved (the glasses bar and the
mouth are one pixel high); 32 px renders are unchanged by the size option.

`oracle` reads the attributes back from region statistics. It is exact on
real renders and stands in for the paper's ResNet-50 attribute classifier
(it needs no training data at all, so it cannot have seen the test set).
"""

import functools

import numpy as np

ATTRIBUTES = ("Blond_Hair", "Eyeglasses", "Wearing_Lipstick")
SIZE = 32
SIZES = (16, 32)
_SKIN = np.array([0.92, 0.72, 0.58], np.float32)
_BLOND = np.array([0.95, 0.85, 0.3], np.float32)
_DARK_HAIR = np.array([0.15, 0.1, 0.08], np.float32)
_GLASSES = np.array([0.05, 0.05, 0.05], np.float32)
_RED = np.array([0.85, 0.05, 0.1], np.float32)
_PINK = np.array([0.65, 0.45, 0.4], np.float32)

# Oracle regions per image size (row and column slices, and how many extreme
# pixels are averaged), chosen to contain the attribute for every centre
# jitter and to stay inside the face otherwise.
_REGIONS = {
    32: dict(
        hair=(slice(6, 9), slice(14, 20)),
        band=(slice(11, 17), slice(9, 24)),
        darkest=15,
        mouth=(slice(19, 25), slice(11, 22)),
        reddest=7,
    ),
    16: dict(
        hair=(slice(3, 5), slice(7, 10)),
        band=(slice(6, 8), slice(4, 13)),
        darkest=4,
        mouth=(slice(10, 12), slice(5, 12)),
        reddest=3,
    ),
}


def _check_size(size: int) -> None:
  if size not in SIZES:
    raise ValueError(f"Synthetic faces are drawn at {SIZES} px, not {size}.")


def render(
    attributes: np.ndarray, rng: np.random.Generator, size: int = SIZE
) -> np.ndarray:
  """(N, 3) {0, 1} attributes -> (N, size, size, 3) float32 in [0, 1]."""
  _check_size(size)
  s = size / SIZE  # every length is given at 32 px and scaled by s
  n = len(attributes)
  yy, xx = np.mgrid[:size, :size].astype(np.float32)
  images = np.empty((n, size, size, 3), np.float32)
  for i, (blond, glasses, lipstick) in enumerate(attributes):
    cy = size / 2 + s * rng.integers(-1, 2)
    cx = size / 2 + s * rng.integers(-1, 2)
    image = np.full((size, size, 3), rng.uniform(0.2, 0.8), np.float32)
    face = ((xx - cx) / (10 * s)) ** 2 + ((yy - cy) / (12.5 * s)) ** 2 <= 1.0
    image[face] = _SKIN * rng.uniform(0.85, 1.05)
    image[face & (yy < cy - 6 * s)] = _BLOND if blond else _DARK_HAIR
    if glasses:
      image[
          (yy >= cy - 3 * s)
          & (yy < cy - s)
          & (xx >= cx - 8 * s)
          & (xx < cx + 9 * s)
      ] = _GLASSES
    image[
        (yy >= cy + 5 * s)
        & (yy < cy + 7 * s)
        & (xx >= cx - 3 * s)
        & (xx < cx + 4 * s)
    ] = (_RED if lipstick else _PINK)
    images[i] = image
  images += rng.normal(0.0, 0.02, images.shape).astype(np.float32)
  return np.clip(images, 0.0, 1.0)


@functools.lru_cache(maxsize=8)
def dataset(n: int, seed: int, size: int = SIZE) -> dict[str, np.ndarray]:
  """{"image": uint8 (n, size, size, 3), "attributes": int32 (n, 3)}.

  Cached (the arrays are treated as read-only). Train, held-out test and the
  evaluation classifier's data come from different seeds.
  """
  rng = np.random.default_rng(seed)
  attributes = rng.integers(0, 2, (n, len(ATTRIBUTES))).astype(np.int32)
  images = render(attributes, rng, size)
  return {
      "image": np.round(images * 255).astype(np.uint8),
      "attributes": attributes,
  }


def oracle(images: np.ndarray) -> np.ndarray:
  """(N, S, S, 3) images in [0, 1] -> (N, 3) {0, 1} attribute decisions.

  S is 32 or 16; regions are chosen to contain the attribute for every
  centre jitter.
  """
  images = np.asarray(images, np.float32)
  _check_size(images.shape[1])
  r = _REGIONS[images.shape[1]]
  n = len(images)
  hair = images[:, r["hair"][0], r["hair"][1], 1].mean((1, 2))
  band = images[:, r["band"][0], r["band"][1]].mean(-1).reshape(n, -1)
  darkest = np.sort(band, axis=1)[:, : r["darkest"]].mean(1)
  mouth = images[:, r["mouth"][0], r["mouth"][1]]
  redness = (mouth[..., 0] - mouth[..., 1]).reshape(n, -1)
  reddest = np.sort(redness, axis=1)[:, -r["reddest"] :].mean(1)
  # Green of the hair: blond .85, dark .1; darkest eye-band pixels: glasses
  # .05, skin > .5; reddest mouth pixels (R - G): lipstick .8, pink .2.
  return np.stack([hair > 0.45, darkest < 0.3, reddest > 0.55], axis=1).astype(
      np.int32
  )
