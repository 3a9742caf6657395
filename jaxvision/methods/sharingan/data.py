"""SharinGAN training inputs: one synthetic and one real stream, zipped.

`config.data.name` picks the domain pair:
  procedural_street   the CPU smoke pair (`procedural.py`), in memory.
  vkitti_kitti        vKITTI (image, depth) -> KITTI raw stereo pairs.
  sfs_celeba          SfSNet synthetic faces -> CelebA (real_labels=pseudo).

Each domain has its own resumable grain iterator (different seeds), and
batches are merged under `syn_*` / `real_*` keys; `data.use_syn` /
`data.use_real` drop a domain (the all-real / all-synthetic baselines).
Images enter the depth nets in [-1, 1] (depth encoded in [-1, 1], spec 3.2)
and the face nets in [0, 1].
"""

import os
from typing import Any, Callable

import ml_collections
import numpy as np
from PIL import Image

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.data import celeba
from jaxvision.data import faces
from jaxvision.data import kitti
from jaxvision.data import pipeline
from jaxvision.data import pp
from jaxvision.data import registry
from jaxvision.data import sources
from jaxvision.methods.sharingan import procedural

# NOTE: the real stream's shuffle seed is offset so the two domains are not
# drawn in lock-step.
REAL_SEED_OFFSET = 7919


class ZipIterator:
  """Merges the batches of named iterators; state is the dict of states."""

  def __init__(self, iterators: dict[str, method_lib.DataIterator]):
    self._iterators = iterators

  def __next__(self) -> dict[str, Any]:
    batch = {}
    for it in self._iterators.values():
      batch.update(next(it))
    return batch

  def get_state(self) -> dict[str, Any]:
    return {name: it.get_state() for name, it in self._iterators.items()}

  def set_state(self, state: dict[str, Any]) -> None:
    for name, it in self._iterators.items():
      it.set_state(state[name])

  @property
  def num_corrupt(self) -> int:
    return sum(getattr(it, "num_corrupt", 0) for it in self._iterators.values())


def _prefixed(prefix: str, fn: Callable[..., dict[str, Any]]):
  def op(example, rng):
    return {f"{prefix}_{k}": v for k, v in fn(example, rng).items()}

  return op


def encode_depth(depth: np.ndarray, max_depth: float) -> np.ndarray:
  """Metres -> [-1, 1] (clipped at max_depth), float32 (H, W, 1)."""
  depth = np.asarray(depth, np.float32)
  if depth.ndim == 2:
    depth = depth[..., None]
  return np.clip(depth, 0, max_depth) / max_depth * 2 - 1


def procedural_sources(data_cfg: ml_collections.ConfigDict):
  """(syn, real) ArraySources of the smoke pair, already network-ready."""
  args = (data_cfg.height, data_cfg.width, data_cfg.get("seed", 0))
  syn = procedural.split("syn_train", data_cfg.sizes.syn_train, *args)
  real = procedural.split("real_train", data_cfg.sizes.real_train, *args)
  syn_source = sources.ArraySource(
      {
          "image": syn["image"] * 2 - 1,
          "depth": encode_depth(syn["depth"], data_cfg.max_depth),
      }
  )
  real_source = sources.ArraySource(
      {
          "image": real["image"] * 2 - 1,
          "right": real["right"] * 2 - 1,
          "fb": real["fb"],
      }
  )
  identity = lambda example, rng: dict(example)
  return (syn_source, identity), (real_source, identity)


def _resize_uint8(image: np.ndarray, height: int, width: int) -> np.ndarray:
  return np.asarray(
      Image.fromarray(image).resize((width, height), Image.Resampling.BICUBIC)
  )


def _to_unit(image: np.ndarray) -> np.ndarray:
  return np.asarray(image, np.float32) / 127.5 - 1


def vkitti_pp(data_cfg):
  """Resize 192x640 bicubic, depth clipped at max then resized, flip p=0.5."""
  h, w = data_cfg.height, data_cfg.width
  resize_depth = pp.resize((h, w), "bicubic", keys=("depth",))

  def op(example, rng):
    depth = np.clip(
        np.asarray(example["depth"], np.float32), 0, data_cfg.max_depth
    )
    depth = resize_depth({"depth": depth[..., None]}, rng)["depth"]
    image = _resize_uint8(example["image"], h, w)
    if rng.random() < 0.5:
      image, depth = image[:, ::-1], depth[:, ::-1]
    return {
        "image": _to_unit(image),
        "depth": encode_depth(depth, data_cfg.max_depth),
    }

  return op


def kitti_stereo_pp(data_cfg):
  """Resize both views, scale fb to the new width; p=0.5 flip that swaps the
  views (pitfall 15); p=0.5 brightness/contrast/saturation in U(0.8, 1.0),
  the same factors for both views."""
  h, w = data_cfg.height, data_cfg.width

  def jitter(image, b, c, s):
    image = image * b
    image = (image - image.mean()) * c + image.mean()
    grey = image.mean(-1, keepdims=True)
    return np.clip((image - grey) * s + grey, 0, 255)

  def op(example, rng):
    left = example["image"]
    fb = np.float32(example["fb"]) * w / left.shape[1]
    left = _resize_uint8(left, h, w).astype(np.float32)
    right = _resize_uint8(example["right"], h, w).astype(np.float32)
    if rng.random() < 0.5:
      left, right = right[:, ::-1], left[:, ::-1]
    if rng.random() < 0.5:
      factors = rng.uniform(0.8, 1.0, 3)
      left, right = jitter(left, *factors), jitter(right, *factors)
    return {
        "image": _to_unit(left),
        "right": _to_unit(right),
        "fb": np.float32(fb),
    }

  return op


def face_image(image: np.ndarray, size: int) -> np.ndarray:
  return _resize_uint8(image, size, size).astype(np.float32) / 255.0


def sfs_pp(data_cfg):
  size = data_cfg.height
  resize = pp.resize(size, "bilinear", keys=("mask", "normal", "albedo"))

  def op(example, rng):
    out = resize(example, rng)
    return {
        "image": face_image(example["image"], size),
        "mask": out["mask"],
        "normal": out["normal"],
        "albedo": out["albedo"],
        "light": example["light"],
    }

  return op


def celeba_pp(data_cfg):
  """CelebA aligned crop: centre square crop -> size x size in [0, 1].

  NOTE: no face masks are available for CelebA here; the mask is all ones.
  """
  size = data_cfg.height

  def op(example, rng):
    del rng
    image = example["image"]
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    image = image[top : top + side, left : left + side]
    return {
        "image": face_image(image, size),
        "mask": np.ones((size, size, 1), np.float32),
    }

  return op


def _vkitti_kitti(data_cfg: ml_collections.ConfigDict):
  path = lambda key: os.path.expanduser(data_cfg[key])
  return (
      (kitti.VKitti(path("vkitti_root")), vkitti_pp(data_cfg)),
      (
          kitti.KittiStereo(path("kitti_root"), path("kitti_train_list")),
          kitti_stereo_pp(data_cfg),
      ),
  )


def _sfs_celeba(data_cfg: ml_collections.ConfigDict):
  path = lambda key: os.path.expanduser(data_cfg[key])
  return (
      (faces.SfSFaces(path("sfs_root"), path("sfs_csv")), sfs_pp(data_cfg)),
      (celeba.CelebA(path("celeba_root"), "train"), celeba_pp(data_cfg)),
  )


# data.name -> fn(data_cfg) -> ((syn source, syn pp), (real source, real pp)).
DATASETS = {
    "procedural_street": procedural_sources,
    "vkitti_kitti": _vkitti_kitti,
    "sfs_celeba": _sfs_celeba,
}


def domain_sources(data_cfg: ml_collections.ConfigDict):
  """((syn_source, syn_pp), (real_source, real_pp)) of the domain pair."""
  build = registry.lookup(DATASETS, data_cfg.name, "config.data.name")
  return build(data_cfg)


def make_train_data(ctx: method_lib.StageContext, seed: int) -> ZipIterator:
  """Host-local batches {syn_*, real_*} of `ctx.local_batch_size` each.

  Stage B (`task_pretrain`) reads only the synthetic stream.
  """
  data_cfg = ctx.config.data
  (syn, syn_pp), (real, real_pp) = domain_sources(data_cfg)
  use_real = data_cfg.use_real and ctx.stage.phase != "task_pretrain"
  streams = {}
  for name, source, fn, use, offset in (
      ("syn", syn, syn_pp, data_cfg.use_syn, 0),
      ("real", real, real_pp, use_real, REAL_SEED_OFFSET),
  ):
    if use:
      streams[name] = pipeline.host_iterator(
          source,
          data_cfg,
          pp_fn=_prefixed(name, fn),
          global_batch_size=ctx.stage.batch_size,
          seed=seed + offset,
          skip_corrupt=data_cfg.get("skip_corrupt", True),
      )
  if not streams:
    raise user_errors.InvalidValueError(
        "data.use_syn and data.use_real are both False."
    )
  return ZipIterator(streams)
