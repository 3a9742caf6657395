"""EMA-Net inputs: prepared clips (energy image, mask sequence) per split.

`config.data.kind`:
  synthetic  stick-player clips (`synthetic.py`); train and test come from
             different seeds, generated and prepared once per process.
  soccer     a local copy of the Soccer Players Highlight Videos dataset
             (`jaxvision.data.soccer`), tracked (`tracking.py`), fused,
             registered and cropped per clip, cached as npz under
             `data.cache_dir` (the spec's cacheable `prepare` step).
Every split becomes an `ArraySource` of {energy, mask_seq, frame_valid,
label}, read by the shared grain pipeline.
"""

import functools
import hashlib
import json
import os

import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.data import pipeline
from jaxvision.data import registry
from jaxvision.data import soccer
from jaxvision.data import sources
from jaxvision.methods.emfa import clip_features
from jaxvision.methods.emfa import synthetic
from jaxvision.methods.emfa import tracking


def class_names(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """Label names of the configured task."""
  if config.data.kind == "synthetic":
    return synthetic.CLASS_NAMES
  return soccer.task_classes(config.data.task)


def _freeze(cfg: ml_collections.ConfigDict) -> str:
  """A hashable, canonical form of a config subtree (cache key)."""
  return json.dumps(cfg.to_dict(), sort_keys=True, default=list)


def _stack(examples: list[dict], labels) -> dict[str, np.ndarray]:
  return {
      "energy": np.stack([e["energy"] for e in examples]),
      "mask_seq": np.stack([e["mask_seq"] for e in examples]),
      "frame_valid": np.stack([e["frame_valid"] for e in examples]),
      "label": np.asarray(labels, np.int32),
  }


@functools.lru_cache(maxsize=8)
def _synthetic_split(split: str, data_key: str, pre_key: str):
  data_cfg, pre_cfg = json.loads(data_key), json.loads(pre_key)
  if split not in data_cfg["sizes"]:
    raise user_errors.InvalidValueError(
        f"Synthetic split {split!r} not in data.sizes "
        f"{sorted(data_cfg['sizes'])}."
    )
  seed = data_cfg["seed"] + 1000 * sorted(data_cfg["sizes"]).index(split)
  clips, labels = synthetic.dataset(
      data_cfg["sizes"][split], seed, data_cfg["canvas"], data_cfg["raw_frames"]
  )
  return _stack([clip_features.prepare_clip(c, pre_cfg) for c in clips], labels)


def prepared_soccer_clip(root: str, clip_id: str, meta, config):
  """Tracks and prepares one clip; cached as npz keyed by root and configs."""
  pre, data_cfg = config.preprocess, config.data
  key = hashlib.sha1(
      (
          os.path.abspath(root) + _freeze(pre) + _freeze(data_cfg.tracking)
      ).encode()
  ).hexdigest()[:12]
  cache = os.path.join(
      os.path.expanduser(data_cfg.cache_dir or root),
      "prepared",
      key,
      f"{clip_id}.npz",
  )
  if os.path.exists(cache):
    with np.load(cache) as f:
      return {k: f[k] for k in f.files}
  raw = soccer.load_clip(root, clip_id, meta)
  tracked = tracking.track(raw, data_cfg.tracking, pre.include_ball)
  tracked["joints"] = clip_features.joints_from_clip(tracked, pre)
  out = clip_features.prepare_clip(tracked, pre)
  out = {k: np.asarray(v) for k, v in out.items()}
  os.makedirs(os.path.dirname(cache), exist_ok=True)
  tmp = f"{cache}.{os.getpid()}.npz"
  np.savez_compressed(tmp, **out)
  os.replace(tmp, cache)
  return out


def _soccer_split(config, split: str):
  data_cfg = config.data
  root = os.path.expanduser(data_cfg.root)
  meta = soccer.read_meta(root)
  ids = soccer.split_ids(
      root,
      meta,
      data_cfg.task,
      data_cfg.fold,
      split,
      include_goalkeeper=data_cfg.include_goalkeeper_tracklets,
      seed=data_cfg.split_seed,
  )
  labels = [soccer.label_of(meta[c], data_cfg.task) for c in ids]
  examples = [prepared_soccer_clip(root, c, meta, config) for c in ids]
  return _stack(examples, labels)


# data.kind -> fn(config, split) -> the split's prepared arrays.
KINDS = {
    "synthetic": lambda config, split: _synthetic_split(
        split, _freeze(config.data), _freeze(config.preprocess)
    ),
    "soccer": _soccer_split,
}


def open_split(config: ml_collections.ConfigDict, split: str):
  """An ArraySource of prepared clips of `split` ('train', 'val', 'test')."""
  build = registry.lookup(KINDS, config.data.kind, "config.data.kind")
  return sources.ArraySource(build(config, split))


def augment(flip: bool):
  """pp_fn: clip-consistent horizontal flip of energy and masks.

  NOTE: the flip happens after registration, so no left/right joint swap is
  needed. It is label-preserving only for mirror-symmetric classes (true for
  the soccer classes, false for the synthetic left->right / right->left).
  """

  def fn(example, rng):
    example = dict(example)
    if flip and rng.random() < 0.5:
      example["energy"] = example["energy"][:, ::-1].copy()
      example["mask_seq"] = example["mask_seq"][:, :, ::-1].copy()
    return example

  return fn


def make_train_data(ctx: method_lib.StageContext, seed: int):
  config = ctx.config
  return pipeline.host_iterator(
      open_split(config, config.data.train_split),
      pp_fn=augment(config.data.augment_flip),
      global_batch_size=ctx.stage.batch_size,
      seed=seed,
  )
