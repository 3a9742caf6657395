"""LMR inputs: body-model assets, sequences (synthetic or local), windows.

`config.assets.kind`:
  toy    the procedural SMPL-format body (spec 12), written once to
         `assets.dir` with the real SMPL keys and loaded back from there.
  files  the user's SMPL model (`assets.smpl`: .npz / chumpy-free .pkl),
         `assets.mean_params` (SPIN's smpl_mean_params.npz) and
         `assets.eval_regressor` (J_regressor_h36m.npy, or a 14-joint one).
`config.data.kind`:
  synthetic  toy-body videos generated in memory (train and test from
             different seeds, the same feature extractor).
  local      preprocessed H36M / 3DPW / MPI-INF-3DHP sequences
             (jaxvision/data/human_mesh.py) under `data.root`.
`config.data.train_2d` names 2D-only datasets under `data.root` (TWO_D) that
VIBE mixes into every batch: `data.ratio_2d` of each batch are 2D windows
(int(B * ratio), VIBE's DATA_2D_RATIO), the rest 3D windows.
"""

import functools
import os

import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.data import human_mesh
from jaxvision.data import penn_action
from jaxvision.data import posetrack
from jaxvision.data import pipeline
from jaxvision.data import registry
from jaxvision.data import sources
from jaxvision.methods.lmr import geometry
from jaxvision.methods.lmr import synthetic
from jaxvision.methods.lmr import toy_body
from jaxvision.models import smpl

TRAIN_KEYS = (
    "features",
    "kp2d",
    "kp3d",
    "pose",
    "shape",
    "frame_mask",
    "w_smpl",
    "w_3d",
)
# data.train_2d name -> fn(root, split) -> {sequence: sequence dict}. The
# text's third, InstaVariety, has no reader yet.
TWO_D = {
    "pennaction": penn_action.load_split,
    "posetrack": posetrack.load_split,
}
# NOTE: the 2D stream's shuffle seed is offset so the two streams are not
# drawn in lock-step.
SEED_OFFSET_2D = 104729


@functools.lru_cache(maxsize=4)
def _assets(
    kind: str,
    directory: str,
    smpl_path: str,
    mean_path: str,
    regressor_path: str,
):
  if kind == "toy":
    paths = toy_body.write_assets(os.path.expanduser(directory))
    smpl_path, mean_path = paths["smpl"], paths["mean_params"]
    regressor_path = paths["eval_regressor"]
  elif kind != "files":
    raise user_errors.InvalidValueError(
        f"assets.kind must be 'toy' or 'files', got {kind!r}."
    )
  arrays = smpl.load(smpl_path)
  for name, path in (
      ("mean_params", mean_path),
      ("eval_regressor", regressor_path),
  ):
    if not os.path.isfile(os.path.expanduser(path)):
      raise FileNotFoundError(
          f"assets.{name} file {path!r} not found: put SPIN's "
          "smpl_mean_params.npz (pose (144,), shape (10,), cam (3,)) and "
          "J_regressor_h36m.npy (17, 6890) on disk and set "
          "--config.assets.mean_params / --config.assets.eval_regressor."
      )
  with np.load(os.path.expanduser(mean_path)) as f:
    mean = {k: np.asarray(f[k], np.float32) for k in ("pose", "shape", "cam")}
  if mean["pose"].shape != (arrays.num_joints * 6,):
    raise user_errors.InvalidValueError(
        f"{mean_path}: pose has shape {mean['pose'].shape}, "
        f"expected ({arrays.num_joints * 6},) 6D (SPIN layout)."
    )
  regressor = np.load(os.path.expanduser(regressor_path))
  return arrays, geometry.Body(arrays, regressor), mean


def assets(config: ml_collections.ConfigDict):
  """(SmplArrays, geometry.Body, mean params {pose [J*6], shape, cam})."""
  a = config.assets
  return _assets(
      a.kind,
      a.get("dir", ""),
      a.get("smpl", ""),
      a.get("mean_params", ""),
      a.get("eval_regressor", ""),
  )


@functools.lru_cache(maxsize=8)
def _synthetic(
    directory, split, num, length, feature_dim, seed, world_seed, cam_model
):
  body = _assets("toy", directory, "", "", "")[1]
  return synthetic.generate(
      body, num, length, feature_dim, seed, world_seed, cam_model
  )


@functools.lru_cache(maxsize=8)
def _local(root: str, datasets: tuple[str, ...], split: str):
  out = {}
  for name in datasets:
    for seq, value in human_mesh.load_split(root, name, split).items():
      out[f"{name}/{seq}"] = value
  return out


def _synthetic_sequences(config: ml_collections.ConfigDict, split: str) -> dict:
  d = config.data
  if config.assets.kind != "toy":
    raise user_errors.InvalidValueError(
        "data.kind='synthetic' renders the toy body: set " "assets.kind='toy'."
    )
  train = split == "train"
  return _synthetic(
      config.assets.dir,
      split,
      d.num_train if train else d.num_test,
      d.length,
      d.feature_dim,
      d.seed + (0 if train else 1),
      d.seed,
      config.model.cam_model,
  )


def _local_sequences(config: ml_collections.ConfigDict, split: str) -> dict:
  d = config.data
  datasets = tuple(d.train if split == "train" else d.eval)
  return _local(
      os.path.expanduser(d.root),
      datasets,
      split if split == "train" else d.eval_split,
  )


# data.kind -> fn(config, split) -> {name: sequence dict}.
KINDS = {"synthetic": _synthetic_sequences, "local": _local_sequences}


def sequences(config: ml_collections.ConfigDict, split: str) -> dict:
  """name -> sequence dict of the train or eval split."""
  build = registry.lookup(KINDS, config.data.kind, "config.data.kind")
  return build(config, split)


def _stride(config, name: str) -> int:
  strides = config.data.train_stride
  key = name.split("/")[0]
  if isinstance(strides, int):
    return strides
  return int(strides.get(key, strides.get("default", config.data.seq_len)))


def train_windows(config: ml_collections.ConfigDict) -> dict[str, np.ndarray]:
  """Training windows (per-dataset strides; never across sequences)."""
  seqs = sequences(config, "train")
  by_stride = {}
  for name, seq in seqs.items():
    by_stride.setdefault(_stride(config, name), {})[name] = seq
  parts = [
      human_mesh.make_windows(group, config.data.seq_len, stride)
      for stride, group in sorted(by_stride.items())
  ]
  return {k: np.concatenate([p[k] for p in parts]) for k in TRAIN_KEYS}


@functools.lru_cache(maxsize=4)
def _local_2d(root: str, datasets: tuple[str, ...]) -> dict:
  out = {}
  for name in datasets:
    load = registry.lookup(TWO_D, name, "config.data.train_2d")
    for seq, value in load(root, "train").items():
      out[f"{name}/{seq}"] = value
  return out


def train_windows_2d(
    config: ml_collections.ConfigDict,
) -> dict[str, np.ndarray]:
  """Windows of the 2D-only training datasets (`data.train_2d`)."""
  d = config.data
  seqs = _local_2d(os.path.expanduser(d.root), tuple(d.train_2d))
  dims = {seq["features"].shape[1] for seq in seqs.values()}
  if dims != {d.feature_dim}:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"2D datasets have feature widths {sorted(dims)}, not "
            f"data.feature_dim={d.feature_dim}",
            d.root,
            "extract the 2D clips' features with the same backbone",
        )
    )
  by_stride = {}
  for name, seq in seqs.items():
    by_stride.setdefault(_stride(config, name), {})[name] = seq
  parts = [
      human_mesh.make_windows(group, d.seq_len, stride)
      for stride, group in sorted(by_stride.items())
  ]
  return {k: np.concatenate([p[k] for p in parts]) for k in TRAIN_KEYS}


def batch_split(batch_size: int, ratio_2d: float) -> tuple[int, int]:
  """(2D, 3D) windows per batch: VIBE's int(B * DATA_2D_RATIO) and the rest."""
  if not 0.0 <= ratio_2d < 1.0:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"ratio_2d={ratio_2d} is outside [0, 1)",
            "config.data.ratio_2d",
            "set the share of 2D windows per batch, VIBE: 0.6",
        )
    )
  n2d = int(batch_size * ratio_2d)
  return n2d, batch_size - n2d


class MixIterator:
  """Concatenates one batch of each named iterator along the batch axis;
  its state is the dict of their states."""

  def __init__(self, iterators: dict[str, method_lib.DataIterator]):
    self._iterators = iterators

  def __next__(self) -> dict[str, np.ndarray]:
    batches = [next(it) for it in self._iterators.values()]
    return {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}

  def get_state(self) -> dict:
    return {name: it.get_state() for name, it in self._iterators.items()}

  def set_state(self, state: dict) -> None:
    for name, it in self._iterators.items():
      it.set_state(state[name])


def eval_windows(config: ml_collections.ConfigDict) -> dict[str, np.ndarray]:
  """Non-overlapping eval windows (tail dropped or padded, spec 8)."""
  return human_mesh.make_windows(
      sequences(config, "eval"),
      config.data.seq_len,
      config.data.seq_len,
      config.eval.tail,
  )


def make_train_data(
    ctx: method_lib.StageContext, seed: int
) -> method_lib.DataIterator:
  """Shuffled windows, mixed with 2D windows when `data.train_2d` is set;
  `data.label_fraction` < 1 hides 3D/SMPL labels."""
  config = ctx.config
  arrays = train_windows(config)
  fraction = float(config.data.get("label_fraction", 1.0))

  def pp_fn(example, rng):
    example = dict(example)
    if fraction < 1.0:
      keep = rng.random() < fraction
      example["w_3d"] = np.bool_(example["w_3d"] and keep)
      example["w_smpl"] = np.bool_(example["w_smpl"] and keep)
    return example

  if not config.data.train_2d:
    return pipeline.host_iterator(
        sources.ArraySource(arrays),
        pp_fn=pp_fn,
        global_batch_size=ctx.stage.batch_size,
        seed=seed,
    )
  n2d, n3d = batch_split(ctx.stage.batch_size, config.data.ratio_2d)
  streams = {
      "2d": (train_windows_2d(config), n2d, seed + SEED_OFFSET_2D),
      "3d": (arrays, n3d, seed),
  }
  return MixIterator(
      {
          name: pipeline.host_iterator(
              sources.ArraySource(a), pp_fn=pp_fn, global_batch_size=n, seed=s
          )
          for name, (a, n, s) in streams.items()
          if n
      }
  )
