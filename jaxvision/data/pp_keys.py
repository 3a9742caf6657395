"""What every pp op shares: the example and op types, the pp errors, and the
checks of an op's keys and sizes (one message style for every op).

A pp error is the user's: a pp string whose op arguments are invalid, or
that does not fit the data (a key that the example lacks, arrays of different
sizes for one paired op). Corrupt encoded bytes are a `CorruptRecordError`,
which the pipeline skips and counts.
"""

from typing import Any, Callable, Sequence

import numpy as np

from jaxvision import user_errors

Example = dict[str, Any]
Op = Callable[[Example, np.random.Generator], Example]


class PPError(user_errors.InputError, ValueError):
  """A pp string, an op argument or the example it is applied to is invalid;
  a ValueError too, as pp errors were before."""


class CorruptRecordError(ValueError):
  """A record's encoded bytes cannot be decoded (truncated or garbled file)."""


def as_keys(keys: str | Sequence[str], op: str) -> tuple[str, ...]:
  """An op's `keys` argument (one name or several) as a checked tuple."""
  keys = (keys,) if isinstance(keys, str) else tuple(keys)
  if not keys or not all(isinstance(k, str) for k in keys):
    raise PPError(
        f"pp op {op}: keys must be a non-empty tuple of strings, "
        f"got {keys!r}."
    )
  return keys


def subset(
    sub: str | Sequence[str], keys: tuple[str, ...], op: str, arg: str
) -> tuple[str, ...]:
  """An op argument naming some of its `keys` (e.g. flip_lr's negate_x)."""
  sub = (sub,) if isinstance(sub, str) else tuple(sub)
  extra = [k for k in sub if k not in keys]
  if extra:
    raise PPError(
        f"pp op {op}: {arg}={extra} are not in keys={keys}; add "
        "them to keys so they are transformed."
    )
  return sub


def get(example: Example, key: str, op: str) -> Any:
  """`example[key]`, or a PPError listing the keys the example has."""
  if key not in example:
    raise PPError(
        f"pp op {op}: example has no key {key!r}; it has "
        f"{sorted(example)}. Fix the op's keys or an earlier "
        "keep/rename."
    )
  return example[key]


def h_axis(arr: np.ndarray, key: str, op: str) -> int:
  """Index of the H axis: 0 for (H, W[, C]), 1 for clips (T, H, W, C)."""
  if arr.ndim in (2, 3):
    return 0
  if arr.ndim == 4:
    return 1
  raise PPError(
      f"pp op {op}: {key!r} has shape {arr.shape}; spatial ops "
      "expect (H, W), (H, W, C) or a clip (T, H, W, C)."
  )


def common_hw(
    example: Example, keys: tuple[str, ...], op: str
) -> tuple[int, int]:
  """The (H, W) that all `keys` share; paired ops need aligned arrays."""
  sizes = {}
  for key in keys:
    arr = np.asarray(get(example, key, op))
    h = h_axis(arr, key, op)
    sizes[key] = arr.shape[h : h + 2]
  if len(set(sizes.values())) != 1:
    raise PPError(
        f"pp op {op}: keys must share one spatial size to get the "
        f"same parameters, got {sizes}. Resize them first."
    )
  return next(iter(sizes.values()))


def size_arg(size: int | Sequence[int], op: str) -> tuple[int, int]:
  """An op's `size` (an int or (h, w)) as a checked (h, w)."""
  hw = (size, size) if isinstance(size, int) else tuple(size)
  if len(hw) != 2 or not all(isinstance(s, int) and s > 0 for s in hw):
    raise PPError(
        f"pp op {op}: size must be a positive int or (h, w), got " f"{size!r}."
    )
  return hw
