"""SMPL `.pkl` files load through an allow-list: arrays, sparse, chumpy only.

Pickles are written in every layout real SMPL files use (protocols 0 and 2
as Python 2 wrote them, chumpy `Ch` arrays, scipy sparse J_regressor) and a
malicious one whose payload would call `os.system`.
"""

import os
import pickle
import sys
import types

import numpy as np
import pytest
import scipy.sparse

from jaxvision.methods.lmr import toy_body
from jaxvision.models import smpl


@pytest.fixture(scope="module")
def arrays():
  return toy_body.build(seed=0)


def _dump(path, data, protocol):
  with open(path, "wb") as f:
    pickle.dump(data, f, protocol=protocol)
  return str(path)


def _assert_same(got, want):
  for key, value in want.to_dict().items():
    np.testing.assert_array_equal(got.to_dict()[key], value, err_msg=key)


class _Payload:
  """Unpickling this calls os.system (the attack a plain pickle.load runs)."""

  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    return os.system, (f"touch {self.marker}",)


def test_code_running_pickle_is_refused(arrays, tmp_path):
  marker = tmp_path / "pwned"
  data = dict(arrays.to_dict(), v_template=_Payload(marker))
  path = _dump(tmp_path / "evil.pkl", data, 2)
  with pytest.raises(
      ValueError,
      match=r"refusing to unpickle posix\.system"
      r".*could run code \(.*evil\.pkl\)",
  ):
    smpl.load(path)
  assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_numpy_and_sparse_pickles_load(arrays, tmp_path, protocol):
  data = arrays.to_dict()
  data["J_regressor"] = scipy.sparse.csc_matrix(data["J_regressor"])
  data["weights"] = scipy.sparse.csr_matrix(data["weights"])
  data["bs_style"] = "lbs"
  _assert_same(smpl.load(_dump(tmp_path / "m.pkl", data, protocol)), arrays)


@pytest.mark.parametrize("protocol", [0, 2])
def test_numpy_1_and_old_scipy_module_names_load(arrays, tmp_path, protocol):
  data = arrays.to_dict()
  data["J_regressor"] = scipy.sparse.csc_matrix(data["J_regressor"])
  path = tmp_path / "old.pkl"
  raw = pickle.dumps(data, protocol=protocol)
  for new, old in (
      (b"numpy._core.multiarray\n", b"numpy.core.multiarray\n"),
      (b"scipy.sparse._csc\n", b"scipy.sparse.csc\n"),
  ):
    assert new in raw
    raw = raw.replace(new, old)
  path.write_bytes(raw)
  _assert_same(smpl.load(str(path)), arrays)


def _fake_chumpy(monkeypatch):
  """A stand-in `chumpy.ch` module, present only while pickling."""
  module = types.ModuleType("chumpy.ch")

  class Ch:  # pickles like chumpy.ch.Ch: its __dict__ minus caches
    __module__ = "chumpy.ch"

    def __init__(self, x):
      self.x = x
      self._dirty_vars = {"x"}
      self._itr = None
      self._depends_on_deps = {}

  class Select(Ch):  # a derived chumpy expression, not a plain array
    __module__ = "chumpy.ch"

  for cls in (Ch, Select):
    cls.__qualname__ = cls.__name__
    setattr(module, cls.__name__, cls)
  monkeypatch.setitem(sys.modules, "chumpy", types.ModuleType("chumpy"))
  monkeypatch.setitem(sys.modules, "chumpy.ch", module)
  return module


@pytest.mark.parametrize("protocol", [0, 2])
def test_official_chumpy_layout_loads_without_chumpy(
    arrays, tmp_path, monkeypatch, protocol
):
  ch = _fake_chumpy(monkeypatch)
  data = arrays.to_dict()
  data["J_regressor"] = scipy.sparse.csc_matrix(data["J_regressor"])
  for key in ("v_template", "shapedirs", "posedirs", "weights"):
    data[key] = ch.Ch(data[key])
  path = _dump(tmp_path / "SMPL_NEUTRAL.pkl", data, protocol)
  monkeypatch.undo()
  assert "chumpy" not in sys.modules
  _assert_same(smpl.load(path), arrays)


def test_chumpy_expressions_ask_for_a_converted_file(
    arrays, tmp_path, monkeypatch
):
  ch = _fake_chumpy(monkeypatch)
  data = dict(arrays.to_dict(), weights=ch.Select(arrays.weights))
  path = _dump(tmp_path / "m.pkl", data, 2)
  monkeypatch.undo()
  with pytest.raises(ValueError, match=r"chumpy\.ch\.Select.*clean_ch"):
    smpl.load(path)


def test_corrupt_pickles_and_sparse_indices_are_clear_errors(arrays, tmp_path):
  data = arrays.to_dict()
  regressor = scipy.sparse.csc_matrix(data["J_regressor"])
  regressor.indices[0] = 10**6  # toarray() would write out of bounds
  path = _dump(tmp_path / "m.pkl", dict(data, J_regressor=regressor), 2)
  with pytest.raises(ValueError, match="invalid sparse matrix.*J_regressor"):
    smpl.load(path)
  with open(path, "rb") as f:
    head = f.read(200)
  (tmp_path / "cut.pkl").write_bytes(head)
  with pytest.raises(ValueError, match="not a readable SMPL pickle"):
    smpl.load(str(tmp_path / "cut.pkl"))
