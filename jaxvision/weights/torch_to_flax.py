"""Generic torch state dict -> Flax params mapping, and flat param files.

A torch name in the layout our Flax modules mirror (diffusers / transformers,
e.g. `down_blocks.0.attentions.1.transformer_blocks.0.ff.net.0.proj.weight`)
maps to a Flax path by gluing every integer index onto the name before it
(`down_blocks_0/attentions_1/transformer_blocks_0/ff/net_0/proj`), with the
leaf renamed and transposed:

  weight (4-D conv)   (O, I, kh, kw) -> kernel (kh, kw, I, O)
  weight (2-D linear) (O, I)         -> kernel (I, O)
  weight (1x1 conv where the model has a Dense) (O, I, 1, 1) -> kernel (I, O)
  weight (norm)                      -> scale
  weight (embedding)                 -> embedding (unchanged)

Anything that does not fit the model raises `WeightsMismatchError` listing
the missing Flax params, the unexpected source names and shape mismatches.
"""

import os
from typing import Any, Mapping

import flax
import numpy as np
import safetensors
from safetensors import numpy as safetensors_numpy

from jaxvision import user_errors


class WeightsMismatchError(user_errors.InputError, ValueError):
  """A weights file does not match the model it is loaded into."""


class NotSafetensorsError(user_errors.InputError, ValueError):
  """A `.safetensors` path holds something else, or a truncated file."""


def read_safetensors(
    path: str | os.PathLike[str], fix: str
) -> dict[str, np.ndarray]:
  """{name: array} of a .safetensors file.

  A file that is not one (a renamed text file, a truncated download) raises
  `NotSafetensorsError`, a one-line message ending with `fix` (what to give
  instead), not the library's parser error.
  """
  try:
    return safetensors_numpy.load_file(os.fspath(path))
  except safetensors.SafetensorError as e:
    raise NotSafetensorsError(
        f"not a safetensors file, or a truncated one ({os.fspath(path)}: "
        f"{e}); {fix}"
    ) from None


def flax_path(name: str) -> tuple[str, ...]:
  """'a.0.b.c.1.weight' -> ('a_0', 'b', 'c_1', 'weight')."""
  parts = []
  for part in name.split("."):
    if part.isdigit() and parts:
      parts[-1] = f"{parts[-1]}_{part}"
    else:
      parts.append(part)
  return tuple(parts)


def _leaf(
    path: tuple[str, ...],
    value: np.ndarray,
    expected: Mapping[tuple[str, ...], tuple[int, ...]],
):
  """(flax path, transformed value) for one torch tensor, or None."""
  base, leaf = path[:-1], path[-1]
  if leaf == "bias":
    return base + ("bias",), value
  if leaf != "weight":
    return None
  for name in ("kernel", "scale", "embedding"):
    target = base + (name,)
    if target not in expected:
      continue
    if name != "kernel":
      return target, value
    want = len(expected[target])
    if value.ndim == 4 and want == 4:
      return target, value.transpose(2, 3, 1, 0)
    if value.ndim == 4 and want == 2 and value.shape[2:] == (1, 1):
      return target, value[:, :, 0, 0].T
    if value.ndim == 2:
      return target, value.T
    return target, value
  return None


def to_flax(
    state: Mapping[str, np.ndarray], expected: Any, what: str
) -> dict[str, Any]:
  """Params shaped like `expected` (a pytree of arrays/ShapeDtypeStructs).

  Args:
    state: torch-named float tensors in the layout the Flax model mirrors.
    expected: the model's params (e.g. from `jax.eval_shape(model.init, ...)`).
    what: names the part in error messages ("UNet from model.ckpt").

  Returns:
    A nested dict of float32 numpy arrays with exactly `expected`'s structure.
  """
  want = {
      k: tuple(v.shape)
      for k, v in flax.traverse_util.flatten_dict(_unfreeze(expected)).items()
  }
  out, unexpected, reshaped, sources, seen = {}, [], [], {}, set()
  for name, value in state.items():
    mapped = _leaf(flax_path(name), np.asarray(value), want)
    if mapped is None or mapped[0] not in want:
      unexpected.append(name)
      continue
    path, array = mapped
    seen.add(path)
    if tuple(array.shape) != want[path]:
      reshaped.append(
          f"{name} {tuple(value.shape)} -> {'/'.join(path)} "
          f"{tuple(array.shape)} vs expected {want[path]}"
      )
      continue
    if path in sources:
      unexpected.append(f"{name} (duplicate of {sources[path]})")
      continue
    sources[path] = name
    out[path] = np.asarray(array, np.float32)
  missing = sorted("/".join(k) for k in set(want) - seen)
  if missing or unexpected or reshaped:
    raise WeightsMismatchError(
        _report(what, missing, sorted(unexpected), sorted(reshaped))
    )
  return flax.traverse_util.unflatten_dict(out)


def _report(what: str, missing, unexpected, reshaped) -> str:
  lines = [f"{what} does not match the model architecture:"]
  for title, items in (
      ("missing (Flax params with no source tensor)", missing),
      ("unexpected (source tensors with no Flax param)", unexpected),
      ("shape mismatch", reshaped),
  ):
    if items:
      shown = items[:20] + (
          [f"... {len(items) - 20} more"] if len(items) > 20 else []
      )
      lines.append(f"  {title} ({len(items)}): " + ", ".join(shown))
  lines.append(
      "  Check that the file is an SD v1.x checkpoint of this size "
      "and that the config's architecture (ldm.unet/vae/text) "
      "matches it."
  )
  return "\n".join(lines)


def _unfreeze(tree: Any) -> Any:
  if isinstance(tree, Mapping):
    return {k: _unfreeze(v) for k, v in tree.items()}
  return tree


def save_tree(path: str | os.PathLike[str], tree: Any) -> None:
  """Writes a params tree as safetensors with '/'-joined Flax paths."""
  flat = flax.traverse_util.flatten_dict(_unfreeze(tree), sep="/")
  safetensors_numpy.save_file(
      {k: np.ascontiguousarray(np.asarray(v)) for k, v in flat.items()},
      os.fspath(path),
  )


def load_tree(path: str | os.PathLike[str]) -> dict[str, Any]:
  """Reads a params tree written by `save_tree`."""
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f"No converted params file at {os.fspath(path)!r}; "
        "write one with `python -m jaxvision.main convert "
        "sd-v1 --src ... --dst ...`."
    )
  return flax.traverse_util.unflatten_dict(
      read_safetensors(
          path,
          "write it again with `python -m jaxvision.main convert sd-v1 "
          "--src ... --dst ...`",
      ),
      sep="/",
  )
