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
"""

import functools
import os

import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.data import human_mesh
from jaxvision.data import pipeline
from jaxvision.data import registry
from jaxvision.data import sources
from jaxvision.methods.lmr import geometry
from jaxvision.methods.lmr import synthetic
from jaxvision.methods.lmr import toy_body
from jaxvision.models import smpl

TRAIN_KEYS = ("features", "kp2d", "kp3d", "pose", "shape", "frame_mask",
              "w_smpl", "w_3d")


@functools.lru_cache(maxsize=4)
def _assets(kind: str, directory: str, smpl_path: str, mean_path: str,
            regressor_path: str):
  if kind == "toy":
    paths = toy_body.write_assets(os.path.expanduser(directory))
    smpl_path, mean_path = paths["smpl"], paths["mean_params"]
    regressor_path = paths["eval_regressor"]
  elif kind != "files":
    raise user_errors.InvalidValueError(
        f"assets.kind must be 'toy' or 'files', got {kind!r}.")
  arrays = smpl.load(smpl_path)
  for name, path in (("mean_params", mean_path),
                     ("eval_regressor", regressor_path)):
    if not os.path.isfile(os.path.expanduser(path)):
      raise FileNotFoundError(
          f"assets.{name} file {path!r} not found: put SPIN's "
          "smpl_mean_params.npz (pose (144,), shape (10,), cam (3,)) and "
          "J_regressor_h36m.npy (17, 6890) on disk and set "
          "--config.assets.mean_params / --config.assets.eval_regressor.")
  with np.load(os.path.expanduser(mean_path)) as f:
    mean = {k: np.asarray(f[k], np.float32) for k in ("pose", "shape", "cam")}
  if mean["pose"].shape != (arrays.num_joints * 6,):
    raise user_errors.InvalidValueError(
        f"{mean_path}: pose has shape {mean['pose'].shape}, "
        f"expected ({arrays.num_joints * 6},) 6D (SPIN layout).")
  regressor = np.load(os.path.expanduser(regressor_path))
  return arrays, geometry.Body(arrays, regressor), mean


def assets(config: ml_collections.ConfigDict):
  """(SmplArrays, geometry.Body, mean params {pose [J*6], shape, cam})."""
  a = config.assets
  return _assets(a.kind, a.get("dir", ""), a.get("smpl", ""),
                 a.get("mean_params", ""), a.get("eval_regressor", ""))


@functools.lru_cache(maxsize=8)
def _synthetic(directory, split, num, length, feature_dim, seed, world_seed,
               cam_model):
  body = _assets("toy", directory, "", "", "")[1]
  return synthetic.generate(body, num, length, feature_dim, seed, world_seed,
                            cam_model)


@functools.lru_cache(maxsize=8)
def _local(root: str, datasets: tuple[str, ...], split: str):
  out = {}
  for name in datasets:
    for seq, value in human_mesh.load_split(root, name, split).items():
      out[f"{name}/{seq}"] = value
  return out


def _synthetic_sequences(config: ml_collections.ConfigDict,
                         split: str) -> dict:
  d = config.data
  if config.assets.kind != "toy":
    raise user_errors.InvalidValueError(
        "data.kind='synthetic' renders the toy body: set "
        "assets.kind='toy'.")
  train = split == "train"
  return _synthetic(config.assets.dir, split,
                    d.num_train if train else d.num_test, d.length,
                    d.feature_dim, d.seed + (0 if train else 1),
                    d.seed, config.model.cam_model)


def _local_sequences(config: ml_collections.ConfigDict, split: str) -> dict:
  d = config.data
  datasets = tuple(d.train if split == "train" else d.eval)
  return _local(os.path.expanduser(d.root), datasets,
                split if split == "train" else d.eval_split)


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
  parts = [human_mesh.make_windows(group, config.data.seq_len, stride)
           for stride, group in sorted(by_stride.items())]
  return {k: np.concatenate([p[k] for p in parts]) for k in TRAIN_KEYS}


def eval_windows(config: ml_collections.ConfigDict) -> dict[str, np.ndarray]:
  """Non-overlapping eval windows (tail dropped or padded, spec 8)."""
  return human_mesh.make_windows(sequences(config, "eval"),
                                 config.data.seq_len, config.data.seq_len,
                                 config.eval.tail)


def make_train_data(ctx: method_lib.StageContext,
                    seed: int) -> method_lib.DataIterator:
  """Shuffled windows; `data.label_fraction` < 1 hides 3D/SMPL labels."""
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

  return pipeline.host_iterator(
      sources.ArraySource(arrays), pp_fn=pp_fn,
      global_batch_size=ctx.stage.batch_size, seed=seed)
