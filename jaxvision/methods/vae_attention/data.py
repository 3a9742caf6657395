"""Datasets of the method: procedural smoke sets and the chapter's data.

config.data.name selects the source:
  blobs_defects  spec 12A: rings (normal) and rings with a square or scratch
                 defect plus its pixel mask (test only); train and test are
                 drawn from different seeds.
  minisprites    spec 12B: the full 2 x 4 x 8 x 8 grid of binary squares /
                 discs (shape, scale, x, y), stored in factor order.
  mnist, ucsd_ped1, mvtec        jaxvision.data.anomaly_datasets.
  dsprites                        jaxvision.data.dsprites.
Splits are dicts of numpy arrays ("image" float32 in [0, 1], and for
anomaly test splits "mask" and "label").
"""

import functools

import ml_collections
import numpy as np
from PIL import Image

from jaxvision.core import method as method_lib
from jaxvision.data import anomaly_datasets
from jaxvision.data import dsprites
from jaxvision.data import pipeline
from jaxvision.data import registry
from jaxvision.data import sources

MINISPRITES_SIZES = (2, 4, 8, 8)
MINISPRITES_FACTORS = ("shape", "scale", "x", "y")


def _ring(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
  """Centred Gaussian-profile rings with N(0, 0.02) noise: [n, S, S]."""
  yy, xx = np.mgrid[:size, :size].astype(np.float32)
  centre = (size - 1) / 2 + rng.uniform(-1, 1, (n, 2, 1, 1))
  dist = np.hypot(yy - centre[:, 0], xx - centre[:, 1])
  radius = rng.uniform(7, 10, (n, 1, 1)) * size / 32
  half = rng.uniform(2, 3, (n, 1, 1)) * size / 64
  level = rng.uniform(0.6, 1.0, (n, 1, 1))
  ring = level * np.exp(-0.5 * np.square((dist - radius) / half))
  return ring + rng.normal(0, 0.02, ring.shape)


def _defect_mask(
    rng: np.random.Generator, size: int
) -> tuple[np.ndarray, bool]:
  """A filled square (3-6 px) or a 1-px line (6-12 px) at a random place."""
  mask = np.zeros((size, size), bool)
  if rng.random() < 0.5:
    side = int(rng.integers(3, 7))
    y, x = rng.integers(0, size - side + 1, 2)
    mask[y : y + side, x : x + side] = True
    return mask, True
  length = rng.uniform(6, 12)
  angle = rng.uniform(0, np.pi)
  dy, dx = np.sin(angle) * length, np.cos(angle) * length
  y0 = rng.uniform(max(0, -dy), min(size - 1, size - 1 - dy))
  x0 = rng.uniform(max(0, -dx), min(size - 1, size - 1 - dx))
  t = np.linspace(0, 1, 4 * int(length))
  mask[np.round(y0 + t * dy).astype(int), np.round(x0 + t * dx).astype(int)] = (
      True
  )
  return mask, False


@functools.lru_cache(maxsize=8)
def blobs_defects(
    split: str,
    seed: int = 0,
    size: int = 32,
    num_train: int = 4000,
    num_anomalous: int = 200,
    num_normal: int = 100,
) -> dict[str, np.ndarray]:
  """Spec 12A. Test images: `num_anomalous` with one defect, then normals.

  NOTE: a dark scratch on the black background would be invisible, so a
  scratch inverts the local contrast (dark on the ring, bright off it);
  squares are bright. The mask is the defect support.
  """
  if split not in ("train", "test"):
    raise ValueError(
        f"blobs_defects split must be 'train' or 'test', got " f"{split!r}."
    )
  rng = np.random.default_rng([seed, 0 if split == "train" else 1])
  n = num_train if split == "train" else num_anomalous + num_normal
  images = _ring(rng, n, size)
  masks = np.zeros((n, size, size), np.uint8)
  if split == "test":
    for i in range(num_anomalous):
      mask, square = _defect_mask(rng, size)
      if square:
        images[i][mask] = rng.uniform(0.8, 1.0)
      else:
        images[i][mask] = np.where(images[i][mask] > 0.3, 0.0, 1.0)
      masks[i] = mask
  out = {"image": np.clip(images, 0, 1).astype(np.float32)[..., None]}
  if split == "test":
    out["mask"] = masks
    out["label"] = masks.any(axis=(1, 2)).astype(np.int32)
  return out


@functools.lru_cache(maxsize=2)
def minisprites(size: int = 32) -> dsprites.FactorSampler:
  """Spec 12B: every (shape, scale, x, y) combination, in factor order."""
  yy, xx = np.mgrid[:size, :size].astype(np.float32)
  radii = np.linspace(3, 6, MINISPRITES_SIZES[1]) * size / 32
  centres = np.linspace(7, size - 8, MINISPRITES_SIZES[2]) * size / 32
  images = []
  for shape in range(MINISPRITES_SIZES[0]):
    for r in radii:
      for cx in centres:
        for cy in centres:
          if shape == 0:
            image = (np.abs(xx - cx) <= r) & (np.abs(yy - cy) <= r)
          else:
            image = np.hypot(xx - cx, yy - cy) <= r + 0.5
          images.append(image)
  images = np.stack(images).astype(np.float32)[..., None]
  return dsprites.FactorSampler(images, MINISPRITES_SIZES, MINISPRITES_FACTORS)


def _dsprites(data_cfg: ml_collections.ConfigDict) -> dsprites.FactorSampler:
  grid = dsprites.sampler(data_cfg.root)
  return dsprites.FactorSampler(
      _Float(grid.images), grid.factor_sizes, grid.factor_names
  )


# data.name -> fn(data_cfg) -> the factor grid (disentanglement datasets).
FACTOR_SETS = {
    "minisprites": lambda d: minisprites(d.image_size),
    "dsprites": _dsprites,
}


def factor_sampler(
    data_cfg: ml_collections.ConfigDict,
) -> dsprites.FactorSampler:
  """The factor grid of a disentanglement dataset (images float32)."""
  build = registry.lookup(
      FACTOR_SETS,
      data_cfg.name,
      "config.data.name",
      what="disentanglement dataset",
  )
  return build(data_cfg)


class _Float:
  """uint8 {0, 1} images read as float32 on indexing (dSprites is 2.9 GB
  as float32, 0.7 GB as uint8)."""

  def __init__(self, images: np.ndarray):
    self._images = images

  def __len__(self):
    return len(self._images)

  def __getitem__(self, index):
    return self._images[index].astype(np.float32)


# data.name -> fn(data_cfg, split) -> the split's arrays (anomaly datasets).
ANOMALY_SETS = {
    "blobs_defects": lambda d, split: blobs_defects(
        split, d.seed, d.image_size, **dict(d.sizes)
    ),
    "mnist": lambda d, split: anomaly_datasets.mnist_one_class(
        d.root, d.digit, split
    ),
    "ucsd_ped1": lambda d, split: anomaly_datasets.ucsd_ped1(
        d.root, split, d.image_size
    ),
    "mvtec": lambda d, split: anomaly_datasets.mvtec(
        d.root, d.category, split, d.image_size
    ),
}


def split_arrays(
    data_cfg: ml_collections.ConfigDict, split: str
) -> dict[str, np.ndarray]:
  """One split of an anomaly dataset, as arrays."""
  build = registry.lookup(
      ANOMALY_SETS, data_cfg.name, "config.data.name", what="anomaly dataset"
  )
  return build(data_cfg, split)


def _augment(cfg: ml_collections.ConfigDict):
  """pp fn: random h/v flips and a small rotation (MVTec, spec 5)."""
  flip = cfg.get("flip_p", 0.0)
  degrees = cfg.get("rotate_degrees", 0.0)

  def pp_fn(example, rng):
    image = example["image"]
    if flip and rng.random() < flip:
      image = image[:, ::-1]
    if flip and rng.random() < flip:
      image = image[::-1]
    if degrees:
      angle = rng.uniform(-degrees, degrees)
      image = np.stack(
          [
              np.asarray(_rotate(image[..., c], angle))
              for c in range(image.shape[-1])
          ],
          -1,
      )
    return {"image": np.ascontiguousarray(image, np.float32)}

  return pp_fn


def _rotate(channel: np.ndarray, angle: float) -> np.ndarray:
  return np.asarray(
      Image.fromarray(channel.astype(np.float32), mode="F").rotate(
          angle, resample=Image.BILINEAR
      )
  )


def train_source(data_cfg: ml_collections.ConfigDict):
  """The training images of an anomaly or disentanglement dataset."""
  registry.lookup(
      {**ANOMALY_SETS, **FACTOR_SETS}, data_cfg.name, "config.data.name"
  )
  if data_cfg.name in FACTOR_SETS:
    return sources.ArraySource({"image": factor_sampler(data_cfg).images})
  return sources.ArraySource(
      {"image": split_arrays(data_cfg, "train")["image"]}
  )


def make_train_data(ctx: method_lib.StageContext, seed: int):
  """Host-local training batches {"image": [B, H, W, C]}."""
  data_cfg = ctx.config.data
  return pipeline.host_iterator(
      train_source(data_cfg),
      pp_fn=_augment(data_cfg.get("augment", ml_collections.ConfigDict())),
      global_batch_size=ctx.stage.batch_size,
      seed=seed,
  )
