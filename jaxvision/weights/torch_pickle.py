"""Reads PyTorch `torch.save` files (.ckpt, .pth, .pt) without torch.

Published weights (SD v1.x `.ckpt`, torchvision `.pth`, pytorch-fid's
Inception) are zip archives holding `data.pkl` and one raw file per tensor
storage. This reader unpickles `data.pkl` with a restricted unpickler that
only rebuilds containers and tensors (as NumPy arrays); every other class
(Lightning callbacks, argparse namespaces, ...) becomes an inert `Opaque`
record, so loading a file never runs code from it. Every tensor's view is
checked against its storage's size before it is read, so a crafted file
cannot read memory outside the archive.

`RestrictedUnpickler` (resolve globals from an allow-list only) is also what
other readers of untrusted pickles use (`jaxvision.models.smpl`).
"""

import collections
import math
import operator
import os
import pickle
import zipfile
from typing import Any, Mapping

import ml_dtypes
import numpy as np

from jaxvision import user_errors

_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "BFloat16Storage": ml_dtypes.bfloat16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
_TORCH_DTYPES = {
    "float64": np.float64,
    "float32": np.float32,
    "float16": np.float16,
    "bfloat16": ml_dtypes.bfloat16,
    "int64": np.int64,
    "int32": np.int32,
    "int16": np.int16,
    "int8": np.int8,
    "uint8": np.uint8,
    "bool": np.bool_,
}


class InvalidTensorError(user_errors.InputError, ValueError):
  """A tensor in the file does not fit in its storage (truncated or crafted)."""


class RefusedGlobalError(pickle.UnpicklingError):
  """A pickle names a global that the unpickler's allow-list does not hold."""

  def __init__(self, module: str, name: str):
    super().__init__(f"{module}.{name}")
    self.qualname = f"{module}.{name}"


class RestrictedUnpickler(pickle.Unpickler):
  """Resolves a pickle's globals from an allow-list only.

  A pickle runs code by naming a callable (e.g. `os.system`) that loading
  then calls; here each (module, name) is looked up in `allowed`, which maps
  it to the object to use instead, and any other global goes to
  `unknown_global`, which refuses it. NOTE: overriding `find_class` skips
  pickle's Python 2 -> 3 renames, so `allowed` must list e.g. `__builtin__`
  as well as `builtins` for Python 2 files.
  """

  def __init__(self, file, allowed: Mapping[tuple[str, str], Any], **kwargs):
    super().__init__(file, **kwargs)
    self._allowed = allowed

  def find_class(self, module, name):
    if (module, name) in self._allowed:
      return self._allowed[(module, name)]
    return self.unknown_global(module, name)

  def unknown_global(self, module: str, name: str) -> Any:
    raise RefusedGlobalError(module, name)


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


class _InvalidTensor:
  """Stands in for a tensor whose view does not fit in its storage; `load`
  reports it under its key once the whole object is unpickled."""

  def __init__(self, reason: str):
    self.reason = reason


def _view_error(storage, offset, size, stride) -> str | None:
  """Why the view (offset/size/stride in elements) is not inside `storage`."""
  if not isinstance(storage, np.ndarray):
    return f"its storage is a {type(storage).__name__}, not a tensor storage"
  view = f"offset {offset!r}, size {size!r}, stride {stride!r}"
  try:
    dims = [operator.index(d) for d in (offset, *size, *stride)]
  except TypeError:
    return f"its view is not integers ({view})"
  if len(size) != len(stride) or min(dims) < 0:
    return f"its view is malformed ({view})"
  end = (
      offset
      if 0 in size
      else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
  )
  if end > storage.size:
    return (
        f"its view ({view}; {math.prod(size)} elements) needs "
        f"{end * storage.itemsize} bytes of a {storage.nbytes}-byte "
        "storage"
    )
  return None


def _rebuild_tensor(storage, offset, size, stride, *unused):
  """A NumPy copy of the tensor view (offset/size/stride in elements)."""
  del unused
  error = _view_error(storage, offset, size, stride)
  if error:
    return _InvalidTensor(error)
  if not size:
    return np.array(storage[offset])
  item = storage.itemsize
  view = np.lib.stride_tricks.as_strided(
      storage[offset:],
      shape=tuple(size),
      strides=tuple(s * item for s in stride),
  )
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
    **{
        ("torch", name): _StorageType(dtype)
        for name, dtype in _STORAGE_DTYPES.items()
    },
    **{
        ("torch", name): np.dtype(dtype)
        for name, dtype in _TORCH_DTYPES.items()
    },
}


class _Unpickler(RestrictedUnpickler):
  """Rebuilds tensors from the archive's storages; nothing else executes."""

  def __init__(self, file, archive: zipfile.ZipFile, prefix: str):
    super().__init__(file, _SAFE)
    self._archive = archive
    self._prefix = prefix
    self._storages: dict[str, np.ndarray] = {}

  def unknown_global(self, module, name):
    return type(name, (Opaque,), {"name": f"{module}.{name}"})

  def persistent_load(self, pid):
    kind, storage_type, key, _, _ = pid
    if kind != "storage":
      raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
    dtype = (
        storage_type.dtype
        if isinstance(storage_type, _StorageType)
        else storage_type
    )
    if not isinstance(dtype, np.dtype):
      raise pickle.UnpicklingError(f"unsupported storage type {storage_type}")
    if key not in self._storages:
      # NOTE: a missing or odd-sized storage file keeps only its whole
      # elements; a tensor needing more then fails `_view_error` by name.
      try:
        raw = self._archive.read(f"{self._prefix}/data/{key}")
      except KeyError:
        raw = b""
      self._storages[key] = np.frombuffer(
          raw, dtype=dtype, count=len(raw) // dtype.itemsize
      )
    return self._storages[key]


def _find_invalid(obj: Any) -> tuple[str, _InvalidTensor] | None:
  """(key path, tensor) of the first `_InvalidTensor` inside `obj`."""
  seen, todo = set(), [("", obj)]
  while todo:
    where, obj = todo.pop()
    if isinstance(obj, _InvalidTensor):
      return where or "<top level>", obj
    if id(obj) in seen:
      continue
    seen.add(id(obj))
    if isinstance(obj, dict):
      items = obj.items()
    elif isinstance(obj, (list, tuple)):
      items = enumerate(obj)
    elif isinstance(obj, Opaque):
      items = vars(obj).items()
    else:
      continue
    todo.extend(
        (f"{where}.{k}" if where else str(k), v)
        for k, v in reversed(list(items))
    )
  return None


def load(path: str | os.PathLike[str]) -> Any:
  """The object `torch.save` wrote, with every tensor as a NumPy array.

  Raises:
    FileNotFoundError: no file at `path`.
    ValueError: the file is not a zip-format torch file (torch < 1.6 legacy
      files must be re-saved with a current torch first).
    InvalidTensorError: a tensor's size/stride/offset reaches outside its
      storage (a truncated or crafted file); checked before any tensor read.
  """
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"No PyTorch weights file at {path!r}.")
  if not zipfile.is_zipfile(path):
    raise ValueError(
        f"{path!r} is not a zip-format PyTorch file. Files written by torch "
        "< 1.6 use a legacy format; re-save it once with `torch.save(torch."
        "load(f), f2)` on a machine with torch, or convert it to "
        ".safetensors."
    )
  with zipfile.ZipFile(path) as archive:
    pickles = [
        n
        for n in archive.namelist()
        if n.endswith("/data.pkl") or n == "data.pkl"
    ]
    if not pickles:
      raise ValueError(
          f"{path!r} is a zip file without data.pkl; it is not "
          "a PyTorch checkpoint."
      )
    prefix = pickles[0].rpartition("/")[0]
    with archive.open(pickles[0]) as f:
      obj = _Unpickler(f, archive, prefix).load()
  invalid = _find_invalid(obj)
  if invalid:
    key, tensor = invalid
    raise InvalidTensorError(
        f"tensor {key!r} does not fit in its storage: {tensor.reason} "
        f"({path}); the file is truncated or corrupt, download it again"
    )
  return obj


def state_dict(
    path: str | os.PathLike[str], key: str | None = None
) -> dict[str, np.ndarray]:
  """A flat {name: array} dict: the file itself, or its entry `key` (e.g.
  'state_dict' of Lightning checkpoints), keeping only array values."""
  obj = load(path)
  if key is not None:
    if not isinstance(obj, dict) or key not in obj:
      found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
      raise ValueError(
          f"{os.fspath(path)!r} has no entry {key!r}; top-level "
          f"entries: {found}."
      )
    obj = obj[key]
  if not isinstance(obj, dict):
    raise ValueError(
        f"{os.fspath(path)!r} does not hold a state dict "
        f"(got {type(obj).__name__})."
    )
  return {k: v for k, v in obj.items() if isinstance(v, np.ndarray)}
