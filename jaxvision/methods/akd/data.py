"""AKD-GAN inputs: face sources, preprocessing, and test-time target labels.

`data.name` picks the source:

  synthetic_faces  procedural faces of `faces.py` (smoke runs), drawn at
                   data.image_size
  celeba_folder    the original CelebA folder (`jaxvision.data.celeba`)
  celeb_a          a prepared tfds `celeb_a` (array_record) under data_dir
  rafd             RaFD expressions (`jaxvision.data.expressions`)

Every source yields {"image": uint8 HWC, "attributes": int32 (c_dim,)} with
the attributes of `data.attrs` in that order; the pp strings bring images to
`data.image_size` in [-1, 1].
"""

import functools
import os
from typing import Any, Sequence

import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.data import celeba
from jaxvision.data import expressions
from jaxvision.data import pipeline
from jaxvision.data import pp
from jaxvision.data import registry
from jaxvision.data import sources
from jaxvision.methods.akd import faces

HAIR_COLOURS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")


class _TfdsCelebA:
  """tfds `celeb_a` records (attribute dict of bools) as attribute vectors."""

  def __init__(self, source: Any, attrs: Sequence[str]):
    self._source = source
    self._attrs = tuple(attrs)

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index: int) -> dict[str, Any]:
    record = self._source[index]
    found = record["attributes"]
    missing = [a for a in self._attrs if a not in found]
    if missing:
      raise user_errors.InvalidValueError(
          f"tfds celeb_a records have no attributes {missing}."
      )
    return {
        "image": record["image"],
        "attributes": np.asarray(
            [bool(found[a]) for a in self._attrs], np.int32
        ),
    }


@functools.lru_cache(maxsize=16)
def _synthetic(
    n: int, seed: int, attrs: tuple[str, ...], size: int
) -> sources.ArraySource:
  unknown = [a for a in attrs if a not in faces.ATTRIBUTES]
  if unknown:
    raise user_errors.InvalidValueError(
        f"synthetic_faces has no attributes {unknown}; it has "
        f"{faces.ATTRIBUTES}."
    )
  data = faces.dataset(n, seed, size)
  columns = [faces.ATTRIBUTES.index(a) for a in attrs]
  return sources.ArraySource(
      {"image": data["image"], "attributes": data["attributes"][:, columns]}
  )


def _tfds_celeb_a(data_cfg, split, attrs):
  source = sources.open(
      "celeb_a", data_cfg.splits[split], os.path.expanduser(data_cfg.data_dir)
  )
  return _TfdsCelebA(source, attrs)


def _rafd(data_cfg, split, attrs):
  if attrs != expressions.EXPRESSIONS:
    raise user_errors.InvalidValueError(
        f"rafd conditions on {expressions.EXPRESSIONS}; got "
        f"data.attrs={list(data_cfg.attrs)}."
    )
  return expressions.RaFD(
      os.path.expanduser(data_cfg.root), data_cfg.splits[split]
  )


# data.name -> fn(data_cfg, split, attrs) -> random-access source.
DATASETS = {
    # Drawn at data.image_size (16 or 32 px), not resized by the pp string.
    "synthetic_faces": lambda d, split, attrs: _synthetic(
        d.sizes[split], d.seeds[split], attrs, d.image_size
    ),
    "celeba_folder": lambda d, split, attrs: celeba.CelebA(
        os.path.expanduser(d.root),
        d.splits[split],
        list(attrs),
        partition=d.partition,
    ),
    "celeb_a": _tfds_celeb_a,
    "rafd": _rafd,
}


def open_source(
    data_cfg: ml_collections.ConfigDict,
    split: str,
    attrs: Sequence[str] | None = None,
) -> Any:
  """The random-access source of `split` ("train", "test" or, for synthetic
  faces, "classifier"), with attribute columns `attrs` (default data.attrs).
  """
  build = registry.lookup(DATASETS, data_cfg.name, "config.data.name")
  return build(
      data_cfg, split, tuple(data_cfg.attrs if attrs is None else attrs)
  )


def pp_fn(data_cfg: ml_collections.ConfigDict, train: bool):
  """`fn(example, rng)` for the train or eval pp string of the config."""
  spec = data_cfg.pp_train if train else data_cfg.pp_eval
  return pp.build(spec.format(image_size=data_cfg.image_size))


def source_attrs(config: ml_collections.ConfigDict) -> list[str]:
  """Attribute columns of a batch: data.attrs, then any other attributes a
  pseudo-attention teacher is conditioned on (their ground truth seeds
  c^pse)."""
  attrs = list(config.data.attrs)
  if config.akd.enabled:
    attrs += [a for a in config.akd.teacher_attrs if a not in attrs]
  return attrs


def make_train_data(ctx: method_lib.StageContext, seed: int):
  data_cfg = ctx.config.data
  return pipeline.host_iterator(
      open_source(data_cfg, "train", source_attrs(ctx.config)),
      pp_fn=pp_fn(data_cfg, train=True),
      global_batch_size=ctx.stage.batch_size,
      seed=seed,
  )


def eval_batches(
    data_cfg: ml_collections.ConfigDict,
    split: str,
    batch_size: int,
    limit: int = 0,
    attrs: Sequence[str] | None = None,
):
  """(images (n, H, W, 3) in [-1, 1], attributes (n, K)) batches in order.

  `limit` > 0 stops after that many real examples. Padding is dropped.
  """
  iterator = pipeline.make_eval_iterator(
      open_source(data_cfg, split, attrs),
      pp_fn=pp_fn(data_cfg, train=False),
      batch_size=batch_size,
  )
  seen = 0
  for batch in iterator:
    keep = np.asarray(batch["mask"])
    if limit:
      keep &= np.cumsum(keep) + seen <= limit
    if keep.any():
      seen += int(keep.sum())
      yield (
          np.asarray(batch["image"], np.float32)[keep],
          np.asarray(batch["attributes"], np.int32)[keep],
      )
    if limit and seen >= limit:
      return


def flip_targets(
    c_org: np.ndarray, attrs: Sequence[str], k: int, protocol: str = "flip"
) -> np.ndarray:
  """Test targets for attribute k (StarGAN's `create_labels`, multi-label).

  "flip": attribute k is flipped; if k is one of several hair colours in
  `attrs` it is set to 1 and the other hair colours to 0 (hair colours are
  mutually exclusive). "add_only": attribute k is set to 1 (hair as above).
  A single hair colour has nothing to be exclusive with and is flipped.
  """
  if protocol not in ("flip", "add_only"):
    raise user_errors.InvalidValueError(
        f"Unknown eval.protocol {protocol!r}; use 'flip' or " "'add_only'."
    )
  c = np.array(c_org, np.float32, copy=True)
  hair = [a for a in attrs if a in HAIR_COLOURS]
  if attrs[k] in HAIR_COLOURS and len(hair) > 1:
    for j, name in enumerate(attrs):
      if name in HAIR_COLOURS:
        c[:, j] = 0.0
    c[:, k] = 1.0
  elif protocol == "flip":
    c[:, k] = 1.0 - c[:, k]
  else:
    c[:, k] = 1.0
  return c


def onehot_targets(n: int, c_dim: int, k: int) -> np.ndarray:
  """Single-label (RaFD) targets: everyone to expression k."""
  c = np.zeros((n, c_dim), np.float32)
  c[:, k] = 1.0
  return c
