"""Reads PyTorch `torch.save` files (.ckpt, .pth, .pt) without torch.

Published weights (SD v1.x `.ckpt`, torchvision `.pth`, pytorch-fid's
Inception) are zip archives holding `data.pkl` and one raw file per tensor
storage. This reader unpickles `data.pkl` with a restricted unpickler that
only rebuilds containers and tensors (as NumPy arrays); every other class
(Lightning callbacks, argparse namespaces, ...) becomes an inert `Opaque`
record, so loading a file never runs code from it.
"""

import collections
import os
import pickle
import zipfile
from typing import Any

import ml_dtypes
import numpy as np

_STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32,
    "HalfStorage": np.float16, "BFloat16Storage": ml_dtypes.bfloat16,
    "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
_TORCH_DTYPES = {
    "float64": np.float64, "float32": np.float32, "float16": np.float16,
    "bfloat16": ml_dtypes.bfloat16, "int64": np.int64, "int32": np.int32,
    "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
}


class Opaque:
  """Stands in for a pickled object of a class this reader does not rebuild.

  Each unknown class gets its own subclass whose `name` is the class's dotted
  path; the object keeps its constructor arguments and pickled state.
  """
  name = "Opaque"

  def __init__(self, *args, **kwargs):
    self.args = args
    self.kwargs = kwargs
    self.state = None

  def __setstate__(self, state):
    self.state = state

  def __repr__(self):
    return f"Opaque({self.name})"


class _StorageType:
  def __init__(self, dtype):
    self.dtype = np.dtype(dtype)


def _rebuild_tensor(storage, offset, size, stride, *unused):
  """A NumPy copy of the tensor view (offset/size/stride in elements)."""
  del unused
  if not size:
    return np.array(storage[offset])
  item = storage.itemsize
  view = np.lib.stride_tricks.as_strided(
      storage[offset:], shape=tuple(size),
      strides=tuple(s * item for s in stride))
  return np.array(view)


def _rebuild_parameter(data, *unused):
  del unused
  return data


def _ordered_dict(*args):
  return collections.OrderedDict(*args)


_SAFE = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("collections", "OrderedDict"): _ordered_dict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
}


class _Unpickler(pickle.Unpickler):
  """Rebuilds tensors from the archive's storages; nothing else executes."""

  def __init__(self, file, archive: zipfile.ZipFile, prefix: str):
    super().__init__(file)
    self._archive = archive
    self._prefix = prefix
    self._storages: dict[str, np.ndarray] = {}

  def find_class(self, module, name):
    if (module, name) in _SAFE:
      return _SAFE[(module, name)]
    if module == "torch" and name in _STORAGE_DTYPES:
      return _StorageType(_STORAGE_DTYPES[name])
    if module == "torch" and name in _TORCH_DTYPES:
      return np.dtype(_TORCH_DTYPES[name])
    return type(name, (Opaque,), {"name": f"{module}.{name}"})

  def persistent_load(self, pid):
    kind, storage_type, key, _, _ = pid
    if kind != "storage":
      raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
    dtype = (storage_type.dtype if isinstance(storage_type, _StorageType)
             else storage_type)
    if not isinstance(dtype, np.dtype):
      raise pickle.UnpicklingError(f"unsupported storage type {storage_type}")
    if key not in self._storages:
      raw = self._archive.read(f"{self._prefix}/data/{key}")
      self._storages[key] = np.frombuffer(raw, dtype=dtype)
    return self._storages[key]


def load(path: str | os.PathLike[str]) -> Any:
  """The object `torch.save` wrote, with every tensor as a NumPy array.

  Raises:
    FileNotFoundError: no file at `path`.
    ValueError: the file is not a zip-format torch file (torch < 1.6 legacy
      files must be re-saved with a current torch first).
  """
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"No PyTorch weights file at {path!r}.")
  if not zipfile.is_zipfile(path):
    raise ValueError(
        f"{path!r} is not a zip-format PyTorch file. Files written by torch "
        "< 1.6 use a legacy format; re-save it once with `torch.save(torch."
        "load(f), f2)` on a machine with torch, or convert it to "
        ".safetensors.")
  with zipfile.ZipFile(path) as archive:
    pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")
               or n == "data.pkl"]
    if not pickles:
      raise ValueError(f"{path!r} is a zip file without data.pkl; it is not "
                       "a PyTorch checkpoint.")
    prefix = pickles[0].rpartition("/")[0]
    with archive.open(pickles[0]) as f:
      return _Unpickler(f, archive, prefix).load()


def state_dict(path: str | os.PathLike[str],
               key: str | None = None) -> dict[str, np.ndarray]:
  """A flat {name: array} dict: the file itself, or its entry `key` (e.g.
  'state_dict' of Lightning checkpoints), keeping only array values."""
  obj = load(path)
  if key is not None:
    if not isinstance(obj, dict) or key not in obj:
      found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
      raise ValueError(f"{os.fspath(path)!r} has no entry {key!r}; top-level "
                       f"entries: {found}.")
    obj = obj[key]
  if not isinstance(obj, dict):
    raise ValueError(f"{os.fspath(path)!r} does not hold a state dict "
                     f"(got {type(obj).__name__}).")
  return {k: v for k, v in obj.items() if isinstance(v, np.ndarray)}
