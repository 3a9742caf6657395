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

This module is the registry (`OPS`), the parser and `build`; the ops live by
topic in `pp_decode` (image decoding), `pp_spatial` (resize, crops, flips) and
`pp_features` (value_range, keep, rename), on the shared key and size checks
of `pp_keys`. A bad pp string or op argument is a `PPError` (an input error).
"""

import ast
import difflib
import inspect
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from jaxvision.data import pp_decode
from jaxvision.data import pp_features
from jaxvision.data import pp_keys
from jaxvision.data import pp_spatial

# The public pp API: the types, errors and ops live in the topic modules
# (pp_keys, pp_decode, pp_spatial, pp_features); callers use them as `pp.X`.
Example = pp_keys.Example
Op = pp_keys.Op
PPError = pp_keys.PPError
CorruptRecordError = pp_keys.CorruptRecordError
decode = pp_decode.decode
decode_file = pp_decode.decode_file
resize = pp_spatial.resize
resize_small = pp_spatial.resize_small
central_crop = pp_spatial.central_crop
random_crop = pp_spatial.random_crop
flip_lr = pp_spatial.flip_lr
value_range = pp_features.value_range
keep = pp_features.keep
rename = pp_features.rename

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
      raise PPError(f"pp string {pp_string!r} has an empty op (stray '|').")
    try:
      node = ast.parse(text, mode="eval").body
      if isinstance(node, ast.Name):
        specs.append((node.id, (), {}))
        continue
      if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise PPError("not `name` or `name(args)`")
      if any(kw.arg is None for kw in node.keywords):
        raise PPError("`**kwargs` is not supported")
      args = tuple(ast.literal_eval(a) for a in node.args)
      kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
    except (SyntaxError, ValueError) as e:
      raise PPError(
          f"pp op {text!r} in {pp_string!r} cannot be parsed "
          f"({e}); write `name` or `name(1, k='v')` with literal "
          "arguments."
      ) from e
    specs.append((node.func.id, args, kwargs))
  return specs


class Preprocess:
  """A built pp chain: `fn(example, rng) -> example`; picklable for workers."""

  def __init__(self, pp_string: str, ops: Sequence[Op]):
    self.pp_string = pp_string
    self.ops = tuple(ops)

  def __call__(
      self, example: Mapping[str, Any], rng: np.random.Generator
  ) -> Example:
    out = dict(example)
    for op in self.ops:
      out = op(out, rng)
    return out

  def __repr__(self) -> str:
    return f"Preprocess({self.pp_string!r})"


def build(
    pp_string: str, extra_ops: Mapping[str, Callable[..., Op]] | None = None
) -> Preprocess:
  """Builds the pp chain; `extra_ops` adds method ops (e.g. tokenizers)."""
  if not pp_string or not pp_string.strip():
    raise PPError(
        "pp string is empty; give at least one op, e.g. "
        '"decode|value_range(-1, 1)".'
    )
  table = dict(OPS)
  for name in extra_ops or {}:
    if name in OPS:
      raise PPError(
          f"extra pp op {name!r} shadows the built-in op; give it "
          "another name."
      )
  table.update(extra_ops or {})
  ops = []
  for name, args, kwargs in parse(pp_string):
    if name not in table:
      close = difflib.get_close_matches(name, table, n=3)
      hint = f" Did you mean {', '.join(close)}?" if close else ""
      raise PPError(
          f"Unknown pp op {name!r} in {pp_string!r}.{hint} "
          f"Known ops: {sorted(table)}."
      )
    factory = table[name]
    try:
      inspect.signature(factory).bind(*args, **kwargs)
    except TypeError as e:
      raise PPError(
          f"pp op {name!r}: {e}; signature is "
          f"{name}{inspect.signature(factory)}."
      ) from e
    ops.append(factory(*args, **kwargs))
  return Preprocess(pp_string, ops)
