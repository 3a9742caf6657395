"""torch.save files read without torch match what torch wrote."""

import collections
import io
import pickle
import zipfile

import ml_dtypes
import numpy as np
import pytest

from jaxvision.weights import torch_pickle

torch = pytest.importorskip("torch")


class _Callback:  # stands in for e.g. a Lightning callback in a .ckpt

  def __init__(self):
    self.best = 0.5


def test_reads_dtypes_views_shared_storage_and_nesting(tmp_path):
  base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
  tensors = collections.OrderedDict(
      w=base,
      wt=base.t(),
      row=base[2],
      strided=base[:, ::2],
      half=torch.randn(3, 2).half(),
      bf16=torch.randn(5).bfloat16(),
      ints=torch.tensor([1, -2, 3], dtype=torch.int64),
      mask=torch.tensor([True, False]),
      scalar=torch.tensor(7.5),
      param=torch.nn.Parameter(torch.ones(2, 2)),
  )
  path = tmp_path / "model.ckpt"
  torch.save(
      {
          "state_dict": tensors,
          "global_step": 470000,
          "callbacks": {"cb": _Callback()},
      },
      path,
  )

  loaded = torch_pickle.load(path)
  assert loaded["global_step"] == 470000
  assert isinstance(loaded["callbacks"]["cb"], torch_pickle.Opaque)
  flat = torch_pickle.state_dict(path, "state_dict")
  assert list(flat) == list(tensors)
  for name, tensor in tensors.items():
    expected = (
        tensor.detach().float().numpy()
        if name == "bf16"
        else (tensor.detach().numpy())
    )
    got = flat[name].astype(np.float32) if name == "bf16" else flat[name]
    assert got.shape == tuple(tensor.shape), name
    np.testing.assert_array_equal(got, expected, err_msg=name)
  assert flat["bf16"].dtype == ml_dtypes.bfloat16
  assert flat["half"].dtype == np.float16


def test_clear_errors(tmp_path):
  with pytest.raises(FileNotFoundError, match="No PyTorch weights"):
    torch_pickle.load(tmp_path / "missing.pth")
  legacy = tmp_path / "legacy.pth"
  legacy.write_bytes(b"\x80\x02not a zip")
  with pytest.raises(ValueError, match="legacy format"):
    torch_pickle.load(legacy)
  empty = tmp_path / "empty.pth"
  with zipfile.ZipFile(empty, "w") as z:
    z.writestr("x.txt", "hi")
  with pytest.raises(ValueError, match="without data.pkl"):
    torch_pickle.load(empty)
  path = tmp_path / "sd.pth"
  torch.save({"a": torch.ones(1)}, path)
  with pytest.raises(ValueError, match="no entry 'state_dict'.*'a'"):
    torch_pickle.state_dict(path, "state_dict")


class _Storage:
  """A storage of float32 `data`, pickled as a persistent id like torch's."""

  def __init__(self, data: bytes):
    self.data = data


class _View:
  """A tensor over a `_Storage` with any offset/size/stride, as torch pickles
  it (a crafted file can claim any of them)."""

  def __init__(self, storage, offset, size, stride):
    self.args = (storage, offset, size, stride)

  def __reduce__(self):
    return torch._utils._rebuild_tensor_v2, self.args + (
        False,
        collections.OrderedDict(),
    )


def _write_crafted(path, obj, storage):
  """A torch zip file whose data.pkl holds `obj` and whose only storage is
  `storage` (key '0')."""

  class Pickler(pickle.Pickler):

    def persistent_id(self, value):
      if isinstance(value, _Storage):
        return ("storage", torch.FloatStorage, "0", "cpu", len(value.data) // 4)
      return None

  buffer = io.BytesIO()
  Pickler(buffer, protocol=2).dump(obj)
  with zipfile.ZipFile(path, "w") as z:
    z.writestr("archive/data.pkl", buffer.getvalue())
    z.writestr("archive/data/0", storage.data)
  return path


@pytest.mark.parametrize(
    "offset,size,stride",
    [
        (0, (2**34,), (1,)),  # 64 GiB claimed: no MemoryError, no read
        (1, (4,), (1,)),
        (0, (2, 2), (3, 1)),
        (4, (), ()),
        (0, (2,), (-1,)),
        (0, (2, 2), (1,)),
    ],
)
def test_views_outside_their_storage_are_refused_by_key(
    tmp_path, offset, size, stride
):
  storage = _Storage(np.arange(4, dtype=np.float32).tobytes())
  path = _write_crafted(
      tmp_path / "crafted.ckpt",
      {
          "state_dict": {
              "ok": _View(storage, 0, (2, 2), (1, 2)),
              "bad": _View(storage, offset, size, stride),
          }
      },
      storage,
  )
  with pytest.raises(
      torch_pickle.InvalidTensorError,
      match=r"tensor 'state_dict\.bad' .*crafted\.ckpt",
  ):
    torch_pickle.load(path)


def test_in_bounds_crafted_views_still_load(tmp_path):
  storage = _Storage(np.arange(4, dtype=np.float32).tobytes())
  path = _write_crafted(
      tmp_path / "fine.ckpt",
      {
          "t": _View(storage, 0, (2, 2), (1, 2)),
          "last": _View(storage, 3, (), ()),
          "empty": _View(storage, 4, (0, 3), (3, 1)),
      },
      storage,
  )
  flat = torch_pickle.state_dict(path)
  np.testing.assert_array_equal(flat["t"], [[0, 2], [1, 3]])
  assert flat["last"] == 3 and flat["empty"].shape == (0, 3)


def test_truncated_storage_names_the_tensor(tmp_path):
  path = tmp_path / "model.ckpt"
  torch.save({"a": torch.ones(2), "b": torch.arange(6.0)}, path)
  with zipfile.ZipFile(path) as z:
    entries = {n: z.read(n) for n in z.namelist()}
  b_storage = next(
      n for n, data in entries.items() if "/data/" in n and len(data) == 24
  )
  entries[b_storage] = entries[b_storage][:10]  # 2.5 floats left
  with zipfile.ZipFile(path, "w") as z:
    for name, data in entries.items():
      z.writestr(name, data)
  with pytest.raises(
      torch_pickle.InvalidTensorError,
      match="'b' .*24 bytes of a 8-byte storage",
  ):
    torch_pickle.load(path)
