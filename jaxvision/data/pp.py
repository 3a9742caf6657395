"""Host preprocessing ops on dicts of numpy arrays, built from pp strings.

A pp string chains ops with `|`, big_vision style:

  "decode|resize_small(36)|random_crop(32)|flip_lr|resize(16)|value_range()"

`build(pp_string)` returns `fn(example, rng) -> example`. Every op takes the
per-example `np.random.Generator` that the pipeline derives from (seed, epoch,
record index), so augmentations are reproducible whatever the worker count or
resume point. Ops never mutate their input dict.

Spatial ops (`resize`, `resize_small`, `central_crop`, `random_crop`,
`flip_lr`) take `keys=(...)` and apply the *same* parameters to every key, so
an image and its depth map / mask / normals stay aligned. Arrays are read as
(H, W), (H, W, C) or clips (T, H, W, C); a clip gets the same crop/flip for
every frame. Single-channel clips must keep their channel axis: (T, H, W, 1).
"""

import ast
import difflib
import inspect
import io
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from PIL import Image

Example = dict[str, Any]
Op = Callable[[Example, np.random.Generator], Example]

_PIL_FILTERS = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "area": Image.Resampling.BOX,
}
_METHODS = (*_PIL_FILTERS, "nearest")
_DECODE_ERRORS = (OSError, SyntaxError, ValueError,
                  Image.DecompressionBombError)


class CorruptRecordError(ValueError):
  """A record's encoded bytes cannot be decoded (truncated or garbled file)."""


def _as_keys(keys: str | Sequence[str], op: str) -> tuple[str, ...]:
  keys = (keys,) if isinstance(keys, str) else tuple(keys)
  if not keys or not all(isinstance(k, str) for k in keys):
    raise ValueError(f"pp op {op}: keys must be a non-empty tuple of strings, "
                     f"got {keys!r}.")
  return keys


def _subset(sub: str | Sequence[str], keys: tuple[str, ...], op: str,
            arg: str) -> tuple[str, ...]:
  sub = (sub,) if isinstance(sub, str) else tuple(sub)
  extra = [k for k in sub if k not in keys]
  if extra:
    raise ValueError(f"pp op {op}: {arg}={extra} are not in keys={keys}; add "
                     "them to keys so they are transformed.")
  return sub


def _get(example: Example, key: str, op: str) -> Any:
  if key not in example:
    raise ValueError(f"pp op {op}: example has no key {key!r}; it has "
                     f"{sorted(example)}. Fix the op's keys or an earlier "
                     "keep/rename.")
  return example[key]


def _h_axis(arr: np.ndarray, key: str, op: str) -> int:
  """Index of the H axis: 0 for (H, W[, C]), 1 for clips (T, H, W, C)."""
  if arr.ndim in (2, 3):
    return 0
  if arr.ndim == 4:
    return 1
  raise ValueError(f"pp op {op}: {key!r} has shape {arr.shape}; spatial ops "
                   "expect (H, W), (H, W, C) or a clip (T, H, W, C).")


def _common_hw(example: Example, keys: tuple[str, ...],
               op: str) -> tuple[int, int]:
  """The (H, W) that all `keys` share; paired ops need aligned arrays."""
  sizes = {}
  for key in keys:
    arr = np.asarray(_get(example, key, op))
    h = _h_axis(arr, key, op)
    sizes[key] = arr.shape[h:h + 2]
  if len(set(sizes.values())) != 1:
    raise ValueError(f"pp op {op}: keys must share one spatial size to get the "
                     f"same parameters, got {sizes}. Resize them first.")
  return next(iter(sizes.values()))


def _size_arg(size: int | Sequence[int], op: str) -> tuple[int, int]:
  hw = (size, size) if isinstance(size, int) else tuple(size)
  if len(hw) != 2 or not all(isinstance(s, int) and s > 0 for s in hw):
    raise ValueError(f"pp op {op}: size must be a positive int or (h, w), got "
                     f"{size!r}.")
  return hw


def _decode_one(data: bytes, channels: int | None,
                reduce_to: int | None) -> np.ndarray:
  mode = {1: "L", 3: "RGB", None: None}[channels]
  try:
    with Image.open(io.BytesIO(data)) as img:
      if reduce_to is not None:
        # NOTE: draft() is a no-op for non-JPEG files; for JPEG it picks the
        # largest DCT scale (1/2, 1/4, 1/8) keeping both sides >= reduce_to.
        img.draft(mode, (reduce_to, reduce_to))
      img = img.convert(mode) if mode and img.mode != mode else img
      arr = np.asarray(img)
  except _DECODE_ERRORS as e:
    raise CorruptRecordError(f"cannot decode image ({len(data)} bytes): "
                             f"{type(e).__name__}: {e}") from e
  return arr[..., None] if channels == 1 else arr


def decode_file(path: str, mode: str | None = None) -> np.ndarray:
  """The pixels of image file `path`, converted to PIL `mode` if given.

  For the local-file loaders (KITTI, CelebA, ...): a file that exists but
  does not decode (truncated, garbled, not an image) raises
  CorruptRecordError naming it, so the pipeline skips and counts the record;
  a missing file stays a FileNotFoundError.
  """
  try:
    with Image.open(path) as img:
      return np.asarray(img.convert(mode) if mode and img.mode != mode
                        else img)
  except FileNotFoundError:
    raise
  except _DECODE_ERRORS as e:
    raise CorruptRecordError(f"cannot decode image {path}: "
                             f"{type(e).__name__}: {e}") from e


def decode(keys: str | Sequence[str] = ("image",), channels: int | None = 3,
           reduce_to: int | None = None) -> Op:
  """Decodes encoded image bytes (JPEG/PNG/...) to uint8 (H, W, C) with PIL.

  Args:
    keys: features holding encoded bytes. A list/1-D array of encoded frames
      decodes to a clip (T, H, W, C). Already-decoded numeric arrays (raw
      synthetic images, TFDS-decoded features) pass through unchanged.
    channels: 3 -> RGB, 1 -> grayscale (H, W, 1), None -> the file's own mode
      (e.g. 16-bit depth PNGs).
    reduce_to: decode JPEGs at reduced size (PIL `Image.draft`) so the shorter
      side is >= reduce_to; much cheaper for low-resolution training.

  Raises (when applied):
    CorruptRecordError: the bytes are not a decodable image.
  """
  keys = _as_keys(keys, "decode")
  if channels not in (1, 3, None):
    raise ValueError(f"pp op decode: channels must be 1, 3 or None, got "
                     f"{channels!r}.")

  def op(example: Example, rng: np.random.Generator) -> Example:
    del rng
    out = dict(example)
    for key in keys:
      value = _get(example, key, "decode")
      if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
      if isinstance(value, (bytes, np.bytes_)):
        out[key] = _decode_one(bytes(value), channels, reduce_to)
      elif isinstance(value, (list, tuple)) or (
          isinstance(value, np.ndarray) and value.dtype.kind in "OS"):
        frames = [_decode_one(bytes(f), channels, reduce_to)
                  for f in np.asarray(value, dtype=object).reshape(-1)]
        if len({f.shape for f in frames}) != 1:
          raise CorruptRecordError(f"clip {key!r} has frames of different "
                                   f"sizes {[f.shape for f in frames]}.")
        out[key] = np.stack(frames)
      elif not (isinstance(value, np.ndarray) and value.dtype.kind in "uif"):
        raise ValueError(f"pp op decode: {key!r} is {type(value).__name__}, "
                         "expected encoded bytes or a decoded array.")
    return out

  return op


def _nearest(arr: np.ndarray, h: int, w: int) -> np.ndarray:
  """Exact nearest-neighbour resize of (H, W[, C]) for any dtype."""
  rows = np.minimum(((np.arange(h) + 0.5) * arr.shape[0] / h).astype(int),
                    arr.shape[0] - 1)
  cols = np.minimum(((np.arange(w) + 0.5) * arr.shape[1] / w).astype(int),
                    arr.shape[1] - 1)
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
  out = np.stack([
      np.asarray(Image.fromarray(planes[..., c].astype(mode_dtype)).resize(
          (w, h), resample)) for c in range(planes.shape[-1])
  ], axis=-1)
  return out[..., 0] if arr.ndim == 2 else out


def _resize_array(arr: np.ndarray, h: int, w: int, method: str,
                  antialias: bool, key: str) -> np.ndarray:
  if arr.ndim == 4:
    return np.stack([_resize_array(f, h, w, method, antialias, key)
                     for f in arr])
  if method == "nearest":
    return _nearest(arr, h, w)
  if arr.dtype != np.uint8 and arr.dtype.kind != "f":
    raise ValueError(f"pp op resize: {key!r} has dtype {arr.dtype}; "
                     f"{method} interpolation needs uint8 or float. List "
                     "integer label maps in nearest=(...).")
  if not antialias:
    out = _bilinear_no_antialias(arr, h, w)
    return (np.clip(np.round(out), 0, 255).astype(np.uint8)
            if arr.dtype == np.uint8 else out)
  return _pil_resize(arr, h, w, method)


def _check_method(method: str, antialias: bool, op: str) -> None:
  if method not in _METHODS:
    raise ValueError(f"pp op {op}: unknown method {method!r}; choose one of "
                     f"{_METHODS}.")
  if not antialias and method != "bilinear":
    raise ValueError(f"pp op {op}: antialias=False is only defined for "
                     f"method='bilinear', got {method!r}.")


def _resize_op(op_name: str, target: Callable[[int, int], tuple[int, int]],
               method: str, antialias: bool, keys: str | Sequence[str],
               nearest: str | Sequence[str]) -> Op:
  """Shared body of resize ops; `target(h, w)` gives the output (h, w)."""
  keys = _as_keys(keys, op_name)
  nearest = _subset(nearest, keys, op_name, "nearest")
  _check_method(method, antialias, op_name)

  def op(example: Example, rng: np.random.Generator) -> Example:
    del rng
    hw = target(*_common_hw(example, keys, op_name))
    out = dict(example)
    for key in keys:
      out[key] = _resize_array(np.asarray(example[key]), *hw,
                               "nearest" if key in nearest else method,
                               antialias, key)
    return out

  return op


def resize(size: int | Sequence[int], method: str = "bilinear",
           antialias: bool = True, keys: str | Sequence[str] = ("image",),
           nearest: str | Sequence[str] = ()) -> Op:
  """Resizes `keys` to exactly (h, w) (an int means square).

  `method` is 'bilinear' | 'bicubic' | 'area' (box average; an integer factor
  gives exact block means) | 'nearest'. PIL's filters antialias when
  downsampling; `antialias=False` gives plain bilinear sampling (the aliasing
  ablation). Keys in `nearest` (masks, label maps, sparse depth) always use
  exact nearest-neighbour, keeping their dtype. uint8 stays uint8, floats
  come out float32.
  """
  hw = _size_arg(size, "resize")
  return _resize_op("resize", lambda h, w: hw, method, antialias, keys,
                    nearest)


def resize_small(size: int, method: str = "bilinear", antialias: bool = True,
                 keys: str | Sequence[str] = ("image",),
                 nearest: str | Sequence[str] = ()) -> Op:
  """Resizes so the shorter side is `size`, keeping the aspect ratio."""
  if not isinstance(size, int) or size <= 0:
    raise ValueError(f"pp op resize_small: size must be a positive int, got "
                     f"{size!r}.")

  def target(h: int, w: int) -> tuple[int, int]:
    scale = size / min(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))

  return _resize_op("resize_small", target, method, antialias, keys, nearest)


def _crop_op(op_name: str, size: int | Sequence[int],
             keys: str | Sequence[str],
             place: Callable[[np.random.Generator, int, int], tuple[int, int]]
            ) -> Op:
  """Shared body of crop ops; `place(rng, spare_h, spare_w)` -> (top, left)."""
  crop = _size_arg(size, op_name)
  keys = _as_keys(keys, op_name)

  def op(example: Example, rng: np.random.Generator) -> Example:
    hw = _common_hw(example, keys, op_name)
    if crop[0] > hw[0] or crop[1] > hw[1]:
      raise ValueError(f"pp op {op_name}: crop {crop} is larger than the "
                       f"input {hw}; resize (e.g. resize_small) first.")
    top, left = place(rng, hw[0] - crop[0], hw[1] - crop[1])
    out = dict(example)
    for key in keys:
      arr = np.asarray(example[key])
      h = _h_axis(arr, key, op_name)
      index = [slice(None)] * arr.ndim
      index[h] = slice(top, top + crop[0])
      index[h + 1] = slice(left, left + crop[1])
      out[key] = arr[tuple(index)]
    return out

  return op


def central_crop(size: int | Sequence[int],
                 keys: str | Sequence[str] = ("image",)) -> Op:
  """Crops the centre (h, w) of every key."""
  return _crop_op("central_crop", size, keys,
                  lambda rng, spare_h, spare_w: (spare_h // 2, spare_w // 2))


def random_crop(size: int | Sequence[int],
                keys: str | Sequence[str] = ("image",)) -> Op:
  """Crops a uniform random (h, w) window, the same for every key and frame."""

  def place(rng: np.random.Generator, spare_h: int,
            spare_w: int) -> tuple[int, int]:
    return int(rng.integers(spare_h + 1)), int(rng.integers(spare_w + 1))

  return _crop_op("random_crop", size, keys, place)


def flip_lr(keys: str | Sequence[str] = ("image",), p: float = 0.5,
            negate_x: str | Sequence[str] = ()) -> Op:
  """Mirrors all keys left-right together with probability `p`.

  NOTE: mirroring a surface-normal map also flips the sign of its x component;
  list such keys in `negate_x` (channel 0 is negated on flip).
  """
  keys = _as_keys(keys, "flip_lr")
  negate_x = _subset(negate_x, keys, "flip_lr", "negate_x")
  if not 0.0 <= p <= 1.0:
    raise ValueError(f"pp op flip_lr: p must be in [0, 1], got {p!r}.")

  def op(example: Example, rng: np.random.Generator) -> Example:
    _common_hw(example, keys, "flip_lr")
    if rng.random() >= p:
      return dict(example)
    out = dict(example)
    for key in keys:
      arr = np.asarray(example[key])
      flipped = np.flip(arr, axis=_h_axis(arr, key, "flip_lr") + 1).copy()
      if key in negate_x:
        if arr.dtype.kind != "f" or arr.ndim < 3:
          raise ValueError(f"pp op flip_lr: negate_x key {key!r} must be a "
                           f"float (..., C) array, got {arr.dtype} "
                           f"{arr.shape}.")
        flipped[..., 0] = -flipped[..., 0]
      out[key] = flipped
    return out

  return op


def value_range(vmin: float = -1.0, vmax: float = 1.0, in_min: float = 0.0,
                in_max: float = 255.0, keys: str | Sequence[str] = ("image",),
                clip_values: bool = False) -> Op:
  """Maps [in_min, in_max] (default 0..255) linearly to float32 [vmin, vmax]."""
  keys = _as_keys(keys, "value_range")
  if in_max == in_min:
    raise ValueError("pp op value_range: in_min and in_max must differ.")
  scale = (vmax - vmin) / (in_max - in_min)

  def op(example: Example, rng: np.random.Generator) -> Example:
    del rng
    out = dict(example)
    for key in keys:
      x = np.asarray(_get(example, key, "value_range"), dtype=np.float32)
      x = np.float32(vmin) + (x - np.float32(in_min)) * np.float32(scale)
      out[key] = (np.clip(x, min(vmin, vmax), max(vmin, vmax))
                  if clip_values else x)
    return out

  return op


def keep(*keys: str) -> Op:
  """Drops every feature except `keys` (all of which must exist)."""
  keys = _as_keys(keys, "keep")

  def op(example: Example, rng: np.random.Generator) -> Example:
    del rng
    return {k: _get(example, k, "keep") for k in keys}

  return op


def rename(old: str, new: str) -> Op:
  """Renames feature `old` to `new` (overwriting an existing `new`)."""

  def op(example: Example, rng: np.random.Generator) -> Example:
    del rng
    value = _get(example, old, "rename")
    out = {k: v for k, v in example.items() if k != old}
    out[new] = value
    return out

  return op


OPS: dict[str, Callable[..., Op]] = {
    "decode": decode,
    "resize": resize,
    "resize_small": resize_small,
    "central_crop": central_crop,
    "random_crop": random_crop,
    "flip_lr": flip_lr,
    "value_range": value_range,
    "keep": keep,
    "rename": rename,
}


def _split_ops(pp_string: str) -> list[str]:
  """Splits on `|` outside brackets and quotes."""
  parts, depth, quote, start = [], 0, None, 0
  for i, ch in enumerate(pp_string):
    if quote:
      quote = None if ch == quote else quote
    elif ch in "'\"":
      quote = ch
    elif ch in "([{":
      depth += 1
    elif ch in ")]}":
      depth -= 1
    elif ch == "|" and depth == 0:
      parts.append(pp_string[start:i])
      start = i + 1
  parts.append(pp_string[start:])
  return [p.strip() for p in parts]


def parse(pp_string: str) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
  """Parses a pp string into (op name, args, kwargs); args must be literals."""
  specs = []
  for text in _split_ops(pp_string):
    if not text:
      raise ValueError(f"pp string {pp_string!r} has an empty op (stray '|').")
    try:
      node = ast.parse(text, mode="eval").body
      if isinstance(node, ast.Name):
        specs.append((node.id, (), {}))
        continue
      if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError("not `name` or `name(args)`")
      if any(kw.arg is None for kw in node.keywords):
        raise ValueError("`**kwargs` is not supported")
      args = tuple(ast.literal_eval(a) for a in node.args)
      kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
    except (SyntaxError, ValueError) as e:
      raise ValueError(f"pp op {text!r} in {pp_string!r} cannot be parsed "
                       f"({e}); write `name` or `name(1, k='v')` with literal "
                       "arguments.") from e
    specs.append((node.func.id, args, kwargs))
  return specs


class Preprocess:
  """A built pp chain: `fn(example, rng) -> example`; picklable for workers."""

  def __init__(self, pp_string: str, ops: Sequence[Op]):
    self.pp_string = pp_string
    self.ops = tuple(ops)

  def __call__(self, example: Mapping[str, Any],
               rng: np.random.Generator) -> Example:
    out = dict(example)
    for op in self.ops:
      out = op(out, rng)
    return out

  def __repr__(self) -> str:
    return f"Preprocess({self.pp_string!r})"


def build(pp_string: str,
          extra_ops: Mapping[str, Callable[..., Op]] | None = None
         ) -> Preprocess:
  """Builds the pp chain; `extra_ops` adds method ops (e.g. tokenizers)."""
  if not pp_string or not pp_string.strip():
    raise ValueError("pp string is empty; give at least one op, e.g. "
                     "\"decode|value_range(-1, 1)\".")
  table = dict(OPS)
  for name in extra_ops or {}:
    if name in OPS:
      raise ValueError(f"extra pp op {name!r} shadows the built-in op; give it "
                       "another name.")
  table.update(extra_ops or {})
  ops = []
  for name, args, kwargs in parse(pp_string):
    if name not in table:
      close = difflib.get_close_matches(name, table, n=3)
      hint = f" Did you mean {', '.join(close)}?" if close else ""
      raise ValueError(f"Unknown pp op {name!r} in {pp_string!r}.{hint} "
                       f"Known ops: {sorted(table)}.")
    factory = table[name]
    try:
      inspect.signature(factory).bind(*args, **kwargs)
    except TypeError as e:
      raise ValueError(f"pp op {name!r}: {e}; signature is "
                       f"{name}{inspect.signature(factory)}.") from e
    ops.append(factory(*args, **kwargs))
  return Preprocess(pp_string, ops)
