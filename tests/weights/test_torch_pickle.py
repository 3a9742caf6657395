"""torch.save files read without torch match what torch wrote."""

import collections
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
      w=base, wt=base.t(), row=base[2], strided=base[:, ::2],
      half=torch.randn(3, 2).half(), bf16=torch.randn(5).bfloat16(),
      ints=torch.tensor([1, -2, 3], dtype=torch.int64),
      mask=torch.tensor([True, False]), scalar=torch.tensor(7.5),
      param=torch.nn.Parameter(torch.ones(2, 2)))
  path = tmp_path / "model.ckpt"
  torch.save({"state_dict": tensors, "global_step": 470000,
              "callbacks": {"cb": _Callback()}}, path)

  loaded = torch_pickle.load(path)
  assert loaded["global_step"] == 470000
  assert isinstance(loaded["callbacks"]["cb"], torch_pickle.Opaque)
  flat = torch_pickle.state_dict(path, "state_dict")
  assert list(flat) == list(tensors)
  for name, tensor in tensors.items():
    expected = tensor.detach().float().numpy() if name == "bf16" else (
        tensor.detach().numpy())
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
