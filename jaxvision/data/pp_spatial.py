"""Spatial pp ops: resize, resize_small, central/random crop, flip_lr.

Each takes `keys=(...)` and applies the *same* parameters to every key, so an
image and its depth map / mask / normals stay aligned. Arrays are (H, W),
(H, W, C) or clips (T, H, W, C); a clip gets the same crop/flip for every
frame.
"""

from typing import Callable, Sequence

import numpy as np
from PIL import Image

from jaxvision.data import pp_keys

_PIL_FILTERS = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "area": Image.Resampling.BOX,
}
_METHODS = (*_PIL_FILTERS, "nearest")


def _nearest(arr: np.ndarray, h: int, w: int) -> np.ndarray:
  """Exact nearest-neighbour resize of (H, W[, C]) for any dtype."""
  rows = np.minimum(
      ((np.arange(h) + 0.5) * arr.shape[0] / h).astype(int), arr.shape[0] - 1
  )
  cols = np.minimum(
      ((np.arange(w) + 0.5) * arr.shape[1] / w).astype(int), arr.shape[1] - 1
  )
  return arr[rows][:, cols]


def _bilinear_no_antialias(arr: np.ndarray, h: int, w: int) -> np.ndarray:
  """Plain bilinear sampling at pixel centres (aliases when downsampling)."""
  x = arr.astype(np.float32)

  def coords(n_out: int, n_in: int) -> tuple[np.ndarray, ...]:
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    return lo, np.minimum(lo + 1, n_in - 1), (pos - lo).astype(np.float32)

  y0, y1, wy = coords(h, arr.shape[0])
  x0, x1, wx = coords(w, arr.shape[1])
  wy = wy.reshape((-1, 1) + (1,) * (arr.ndim - 2))
  wx = wx.reshape((1, -1) + (1,) * (arr.ndim - 2))
  rows = x[y0] * (1 - wy) + x[y1] * wy
  return rows[:, x0] * (1 - wx) + rows[:, x1] * wx


def _pil_resize(arr: np.ndarray, h: int, w: int, method: str) -> np.ndarray:
  """Antialiased PIL resize; uint8 via 8-bit modes, floats via mode 'F'."""
  resample = _PIL_FILTERS[method]
  if arr.dtype == np.uint8 and (arr.ndim == 2 or arr.shape[-1] == 3):
    return np.asarray(Image.fromarray(arr).resize((w, h), resample))
  planes = arr[..., None] if arr.ndim == 2 else arr
  mode_dtype = np.uint8 if arr.dtype == np.uint8 else np.float32
  out = np.stack(
      [
          np.asarray(
              Image.fromarray(planes[..., c].astype(mode_dtype)).resize(
                  (w, h), resample
              )
          )
          for c in range(planes.shape[-1])
      ],
      axis=-1,
  )
  return out[..., 0] if arr.ndim == 2 else out


def _resize_array(
    arr: np.ndarray, h: int, w: int, method: str, antialias: bool, key: str
) -> np.ndarray:
  if arr.ndim == 4:
    return np.stack(
        [_resize_array(f, h, w, method, antialias, key) for f in arr]
    )
  if method == "nearest":
    return _nearest(arr, h, w)
  if arr.dtype != np.uint8 and arr.dtype.kind != "f":
    raise pp_keys.PPError(
        f"pp op resize: {key!r} has dtype {arr.dtype}; "
        f"{method} interpolation needs uint8 or float. List "
        "integer label maps in nearest=(...)."
    )
  if not antialias:
    out = _bilinear_no_antialias(arr, h, w)
    return (
        np.clip(np.round(out), 0, 255).astype(np.uint8)
        if arr.dtype == np.uint8
        else out
    )
  return _pil_resize(arr, h, w, method)


def _check_method(method: str, antialias: bool, op: str) -> None:
  if method not in _METHODS:
    raise pp_keys.PPError(
        f"pp op {op}: unknown method {method!r}; choose one " f"of {_METHODS}."
    )
  if not antialias and method != "bilinear":
    raise pp_keys.PPError(
        f"pp op {op}: antialias=False is only defined for "
        f"method='bilinear', got {method!r}."
    )


def _resize_op(
    op_name: str,
    target: Callable[[int, int], tuple[int, int]],
    method: str,
    antialias: bool,
    keys: str | Sequence[str],
    nearest: str | Sequence[str],
) -> pp_keys.Op:
  """Shared body of resize ops; `target(h, w)` gives the output (h, w)."""
  keys = pp_keys.as_keys(keys, op_name)
  nearest = pp_keys.subset(nearest, keys, op_name, "nearest")
  _check_method(method, antialias, op_name)

  def op(example: pp_keys.Example, rng: np.random.Generator) -> pp_keys.Example:
    del rng
    hw = target(*pp_keys.common_hw(example, keys, op_name))
    out = dict(example)
    for key in keys:
      out[key] = _resize_array(
          np.asarray(example[key]),
          *hw,
          "nearest" if key in nearest else method,
          antialias,
          key,
      )
    return out

  return op


def resize(
    size: int | Sequence[int],
    method: str = "bilinear",
    antialias: bool = True,
    keys: str | Sequence[str] = ("image",),
    nearest: str | Sequence[str] = (),
) -> pp_keys.Op:
  """Resizes `keys` to exactly (h, w) (an int means square).

  `method` is 'bilinear' | 'bicubic' | 'area' (box average; an integer factor
  gives exact block means) | 'nearest'. PIL's filters antialias when
  downsampling; `antialias=False` gives plain bilinear sampling (the aliasing
  ablation). Keys in `nearest` (masks, label maps, sparse depth) always use
  exact nearest-neighbour, keeping their dtype. uint8 stays uint8, floats
  come out float32.
  """
  hw = pp_keys.size_arg(size, "resize")
  return _resize_op("resize", lambda h, w: hw, method, antialias, keys, nearest)


def resize_small(
    size: int,
    method: str = "bilinear",
    antialias: bool = True,
    keys: str | Sequence[str] = ("image",),
    nearest: str | Sequence[str] = (),
) -> pp_keys.Op:
  """Resizes so the shorter side is `size`, keeping the aspect ratio."""
  if not isinstance(size, int) or size <= 0:
    raise pp_keys.PPError(
        f"pp op resize_small: size must be a positive int, " f"got {size!r}."
    )

  def target(h: int, w: int) -> tuple[int, int]:
    scale = size / min(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))

  return _resize_op("resize_small", target, method, antialias, keys, nearest)


def _crop_op(
    op_name: str,
    size: int | Sequence[int],
    keys: str | Sequence[str],
    place: Callable[[np.random.Generator, int, int], tuple[int, int]],
) -> pp_keys.Op:
  """Shared body of crop ops; `place(rng, spare_h, spare_w)` -> (top, left)."""
  crop = pp_keys.size_arg(size, op_name)
  keys = pp_keys.as_keys(keys, op_name)

  def op(example: pp_keys.Example, rng: np.random.Generator) -> pp_keys.Example:
    hw = pp_keys.common_hw(example, keys, op_name)
    if crop[0] > hw[0] or crop[1] > hw[1]:
      raise pp_keys.PPError(
          f"pp op {op_name}: crop {crop} is larger than the "
          f"input {hw}; resize (e.g. resize_small) first."
      )
    top, left = place(rng, hw[0] - crop[0], hw[1] - crop[1])
    out = dict(example)
    for key in keys:
      arr = np.asarray(example[key])
      h = pp_keys.h_axis(arr, key, op_name)
      index = [slice(None)] * arr.ndim
      index[h] = slice(top, top + crop[0])
      index[h + 1] = slice(left, left + crop[1])
      out[key] = arr[tuple(index)]
    return out

  return op


def central_crop(
    size: int | Sequence[int], keys: str | Sequence[str] = ("image",)
) -> pp_keys.Op:
  """Crops the centre (h, w) of every key."""
  return _crop_op(
      "central_crop",
      size,
      keys,
      lambda rng, spare_h, spare_w: (spare_h // 2, spare_w // 2),
  )


def random_crop(
    size: int | Sequence[int], keys: str | Sequence[str] = ("image",)
) -> pp_keys.Op:
  """Crops a uniform random (h, w) window, the same for every key and frame."""

  def place(
      rng: np.random.Generator, spare_h: int, spare_w: int
  ) -> tuple[int, int]:
    return int(rng.integers(spare_h + 1)), int(rng.integers(spare_w + 1))

  return _crop_op("random_crop", size, keys, place)


def flip_lr(
    keys: str | Sequence[str] = ("image",),
    p: float = 0.5,
    negate_x: str | Sequence[str] = (),
) -> pp_keys.Op:
  """Mirrors all keys left-right together with probability `p`.

  NOTE: mirroring a surface-normal map also flips the sign of its x component;
  list such keys in `negate_x` (channel 0 is negated on flip).
  """
  keys = pp_keys.as_keys(keys, "flip_lr")
  negate_x = pp_keys.subset(negate_x, keys, "flip_lr", "negate_x")
  if not 0.0 <= p <= 1.0:
    raise pp_keys.PPError(f"pp op flip_lr: p must be in [0, 1], got {p!r}.")

  def op(example: pp_keys.Example, rng: np.random.Generator) -> pp_keys.Example:
    pp_keys.common_hw(example, keys, "flip_lr")
    if rng.random() >= p:
      return dict(example)
    out = dict(example)
    for key in keys:
      arr = np.asarray(example[key])
      w_axis = pp_keys.h_axis(arr, key, "flip_lr") + 1
      flipped = np.flip(arr, axis=w_axis).copy()
      if key in negate_x:
        if arr.dtype.kind != "f" or arr.ndim < 3:
          raise pp_keys.PPError(
              f"pp op flip_lr: negate_x key {key!r} must be "
              f"a float (..., C) array, got {arr.dtype} "
              f"{arr.shape}."
          )
        flipped[..., 0] = -flipped[..., 0]
      out[key] = flipped
    return out

  return op
