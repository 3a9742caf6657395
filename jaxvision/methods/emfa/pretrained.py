"""ViT initialisation from a google-research/vision_transformer `.npz`.

The published ImageNet-21k / 21k->1k checkpoints (e.g. `ViT-B_16.npz`) are
flat npz files whose keys are Flax paths:

  embedding/{kernel,bias}  cls  Transformer/posembed_input/pos_embedding
  Transformer/encoderblock_{i}/LayerNorm_0|2/{scale,bias}
  Transformer/encoderblock_{i}/MultiHeadDotProductAttention_1/{query,key,
      value,out}/{kernel,bias}
  Transformer/encoderblock_{i}/MlpBlock_3/Dense_{0,1}/{kernel,bias}
  Transformer/encoder_norm/{scale,bias}    (+ pre_logits/, head/: unused)

`load_into` copies them into every `*backbone` subtree of EMA-Net's params;
the feature MLP stays freshly initialised. A position table of another grid
is resized in 2-D (class token kept). Files are only read from local disk.
"""

import os

import jax.numpy as jnp
import numpy as np

from jaxvision.core import checkpoint
from jaxvision.models import vit

# Our block names (jaxvision.models.transformer) <- the npz block names.
_BLOCK_RENAMES = {
    "LayerNorm_0": "LayerNorm_0",
    "LayerNorm_2": "LayerNorm_1",
    "MultiHeadDotProductAttention_1": "MultiHeadDotProductAttention_0",
    "MlpBlock_3": "MlpBlock_0",
}


def _our_path(key: str) -> str | None:
  """Maps an npz key to a FeatureViT param path, or None (unused head)."""
  if key.startswith(("head/", "pre_logits/")):
    return None
  if key == "Transformer/posembed_input/pos_embedding":
    return "pos_embedding"
  parts = key.split("/")
  if len(parts) > 2 and parts[1].startswith("encoderblock_"):
    parts[2] = _BLOCK_RENAMES.get(parts[2], parts[2])
  return "/".join(parts)


def _resize_pos(table: np.ndarray, tokens: int) -> np.ndarray:
  """(1, 1 + g*g, D) -> (1, tokens, D); the class token is kept."""
  cls, grid = table[:, :1], table[0, 1:]
  old, new = int(round(len(grid) ** 0.5)), int(round((tokens - 1) ** 0.5))
  if old * old != len(grid) or new * new != tokens - 1:
    raise ValueError(
        f"Cannot resize a position table of {table.shape[1]} "
        f"tokens to {tokens}: grids must be square."
    )
  resized = vit.resize_posemb(
      jnp.asarray(grid.reshape(old, old, -1)), (new, new)
  )
  return np.concatenate([cls, np.asarray(resized).reshape(1, new * new, -1)], 1)


def read_npz(path: str) -> dict[str, np.ndarray]:
  path = os.path.expanduser(path)
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"ViT checkpoint {path!r} (config.model.backbone.init_path) not "
        "found. Put a google-research/vision_transformer .npz there (e.g. "
        "ViT-B_16.npz for the B/16 backbone), or set "
        "--config.model.backbone.init_path='' to start from random init."
    )
  with np.load(path) as f:
    return {k: f[k] for k in f.files}


def _flat(tree, prefix=""):
  for k, v in tree.items():
    if isinstance(v, dict):
      yield from _flat(v, f"{prefix}{k}/")
    else:
      yield f"{prefix}{k}", v


def _set(tree, path: str, value):
  *parents, leaf = path.split("/")
  for p in parents:
    tree = tree[p]
  tree[leaf] = value


def convert(npz: dict[str, np.ndarray], vit_params) -> dict:
  """A copy of `vit_params` (one FeatureViT subtree) with the npz weights.

  Raises:
    checkpoint.CheckpointMismatchError: listing backbone params the file
      lacks and arrays whose shapes differ.
  """
  ours = dict(_flat(vit_params))
  out = _copy(vit_params)
  loaded, reshaped = set(), []
  for key, value in npz.items():
    path = _our_path(key)
    if path is None or path not in ours:
      continue
    if path == "pos_embedding" and value.shape != ours[path].shape:
      value = _resize_pos(value, ours[path].shape[1])
    if value.shape != ours[path].shape:
      reshaped.append(
          f"{path}: file {value.shape} vs model " f"{ours[path].shape}"
      )
      continue
    _set(out, path, jnp.asarray(value, ours[path].dtype))
    loaded.add(path)
  missing = sorted(
      p for p in ours if p not in loaded and not p.startswith("feature_")
  )
  if missing or reshaped:
    raise checkpoint.CheckpointMismatchError(
        f"ViT npz does not fit model.backbone: missing {missing[:8]}"
        f"{' ...' if len(missing) > 8 else ''}; shape mismatches {reshaped}. "
        "Check model.backbone (patch_size, width, depth, heads) against the "
        "checkpoint."
    )
  return out


def _copy(tree):
  return {k: _copy(v) if isinstance(v, dict) else v for k, v in tree.items()}


def load_into(params, path: str) -> dict:
  """EMA-Net params with every `*backbone` subtree loaded from `path`."""
  npz = read_npz(path)
  return {
      k: convert(npz, v) if k.endswith("backbone") else v
      for k, v in params.items()
  }
