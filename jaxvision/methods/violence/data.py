"""Violence inputs: datasets, the held-out fold, clip-consistent augmentation.

`config.data.name` is a synthetic set (`synthetic.NAMES`, generated in memory)
or a local real one (`video_datasets.DATASETS`, read from `data.root`).
Every clip gets a fold from `protocol.assign_folds` (stratified, seeded by
`eval.fold_seed`, the same for every ablation); fold `eval.fold` is held out
for evaluation and the others are trained on.

Augmentation (spec 5, pitfall 1) uses the shared pp ops on the whole clip,
so one crop window and one flip decision apply to every frame, before the
model takes frame differences:
  train, random_crop: resize(resize_before_crop) | random_crop(frame_size)
  eval,  random_crop: resize(resize_before_crop) | central_crop(frame_size)
  no random_crop:     resize(frame_size)
  then flip_lr (train, if hflip) | value_range(0, 1).
"""

import functools
from typing import Any

import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.data import pipeline
from jaxvision.data import pp
from jaxvision.data import registry
from jaxvision.data import sources
from jaxvision.data import video_datasets
from jaxvision.methods.violence import protocol
from jaxvision.methods.violence import synthetic

CLASS_NAMES = ("nonviolent", "violent")
_KEYS = "keys=('frames',)"


@functools.lru_cache(maxsize=4)
def _real_clips(name: str, root: str) -> tuple[video_datasets.Clip, ...]:
  return tuple(video_datasets.list_clips(name, root))


def _synthetic_dataset(d: ml_collections.ConfigDict):
  arrays = synthetic.generate(
      d.name, d.num_clips, d.num_frames, d.synthetic_size, d.synthetic_seed
  )
  ids = [f"{d.name}_{i:05d}" for i in range(d.num_clips)]
  subset = lambda idx: sources.ArraySource(
      {k: v[idx] for k, v in arrays.items()}
  )
  return arrays["label"], ids, subset


def _real_dataset(d: ml_collections.ConfigDict):
  if not d.root:
    raise FileNotFoundError(
        f"config.data.root is empty: set --config.data.root to the "
        f"unpacked {d.name} archive (see jaxvision/data/video_datasets.py "
        "for the expected layout)."
    )
  clips = _real_clips(d.name, d.root)
  subset = lambda idx: video_datasets.ClipSource(
      [clips[i] for i in idx], d.num_frames
  )
  return (
      np.asarray([c.label for c in clips]),
      [c.video_id for c in clips],
      subset,
  )


# data.name -> fn(data_cfg) -> (labels, ids, subset(indices) -> source).
DATASETS = {
    **{name: _synthetic_dataset for name in synthetic.NAMES},
    **{name: _real_dataset for name in video_datasets.DATASETS},
}


def _dataset(d: ml_collections.ConfigDict):
  """(labels, ids, subset(indices) -> source) of the whole dataset."""
  return registry.lookup(DATASETS, d.name, "config.data.name")(d)


def folds(config: ml_collections.ConfigDict) -> dict[str, int]:
  """video_id -> fold of every clip (what crossval writes to folds.json)."""
  labels, ids, _ = _dataset(config.data)
  assigned = protocol.assign_folds(
      labels, config.eval.num_folds, config.eval.fold_seed
  )
  return dict(zip(ids, map(int, assigned)))


def split(config: ml_collections.ConfigDict, held_out: bool) -> Any:
  """The held-out fold `eval.fold`, or all other folds, as a source."""
  e = config.eval
  if not 0 <= e.fold < e.num_folds:
    raise user_errors.InvalidValueError(
        f"config.eval.fold={e.fold} is outside [0, "
        f"{e.num_folds}); pick the held-out fold."
    )
  labels, _, subset = _dataset(config.data)
  assigned = protocol.assign_folds(labels, e.num_folds, e.fold_seed)
  chosen = assigned == e.fold if held_out else assigned != e.fold
  return subset(np.flatnonzero(chosen))


def pp_string(config: ml_collections.ConfigDict, train: bool) -> str:
  """The clip preprocessing of the module docstring."""
  d = config.data
  aug = d.aug
  if aug.random_crop:
    crop = "random_crop" if train else "central_crop"
    ops = [
        f"resize({aug.resize_before_crop}, {_KEYS})",
        f"{crop}({d.frame_size}, {_KEYS})",
    ]
  else:
    ops = [f"resize({d.frame_size}, {_KEYS})"]
  if train and aug.hflip:
    ops.append(f"flip_lr({_KEYS})")
  ops += [f"value_range(0, 1, {_KEYS})", "keep('frames', 'label')"]
  return "|".join(ops)


def make_train_data(
    ctx: method_lib.StageContext, seed: int
) -> pipeline.DataIterator:
  """Shuffled, augmented batches of the training folds (repeats forever)."""
  config = ctx.config
  source = split(config, held_out=False)
  if len(source) < ctx.stage.batch_size:
    raise user_errors.InvalidValueError(
        f"The training folds hold {len(source)} clips, fewer "
        f"than one batch of {ctx.stage.batch_size}."
    )
  return pipeline.host_iterator(
      source,
      config.data,
      pp_fn=pp.build(pp_string(config, train=True)),
      global_batch_size=ctx.stage.batch_size,
      seed=seed,
  )


def steps_per_epoch(config: ml_collections.ConfigDict, batch_size: int) -> int:
  """Whole batches per pass over the training folds."""
  return len(split(config, held_out=False)) // batch_size
