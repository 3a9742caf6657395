"""Feature pp ops: value_range (rescale pixel values), keep, rename."""

from typing import Sequence

import numpy as np

from jaxvision.data import pp_keys


def value_range(
    vmin: float = -1.0,
    vmax: float = 1.0,
    in_min: float = 0.0,
    in_max: float = 255.0,
    keys: str | Sequence[str] = ("image",),
    clip_values: bool = False,
) -> pp_keys.Op:
  """Maps [in_min, in_max] (default 0..255) linearly to float32 [vmin, vmax]."""
  keys = pp_keys.as_keys(keys, "value_range")
  if in_max == in_min:
    raise pp_keys.PPError("pp op value_range: in_min and in_max must differ.")
  scale = (vmax - vmin) / (in_max - in_min)

  def op(example: pp_keys.Example, rng: np.random.Generator) -> pp_keys.Example:
    del rng
    out = dict(example)
    for key in keys:
      x = np.asarray(pp_keys.get(example, key, "value_range"), dtype=np.float32)
      x = np.float32(vmin) + (x - np.float32(in_min)) * np.float32(scale)
      out[key] = (
          np.clip(x, min(vmin, vmax), max(vmin, vmax)) if clip_values else x
      )
    return out

  return op


def keep(*keys: str) -> pp_keys.Op:
  """Drops every feature except `keys` (all of which must exist)."""
  keys = pp_keys.as_keys(keys, "keep")

  def op(example: pp_keys.Example, rng: np.random.Generator) -> pp_keys.Example:
    del rng
    return {k: pp_keys.get(example, k, "keep") for k in keys}

  return op


def rename(old: str, new: str) -> pp_keys.Op:
  """Renames feature `old` to `new` (overwriting an existing `new`)."""

  def op(example: pp_keys.Example, rng: np.random.Generator) -> pp_keys.Example:
    del rng
    value = pp_keys.get(example, old, "rename")
    out = {k: v for k, v in example.items() if k != old}
    out[new] = value
    return out

  return op
