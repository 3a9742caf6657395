"""Replicated inference pads, shards and cuts back batches exactly."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision.core import inference
from jaxvision.data import sources


def test_replicated_jit_matches_direct_computation_for_odd_batches():
  params = {"w": jnp.arange(6.0).reshape(3, 2)}
  run = inference.Replicated(params).jit(
      lambda p, x, y: {"out": x @ p["w"] + y[:, None], "sum": x.sum(-1)}
  )
  assert len(jax.devices()) == 8
  for n in (1, 5, 8, 13):
    x = np.random.default_rng(n).random((n, 3)).astype(np.float32)
    y = np.arange(n, dtype=np.float32)
    out = run(x, y)
    assert isinstance(out["out"], np.ndarray) and out["out"].shape == (n, 2)
    np.testing.assert_allclose(
        out["out"], x @ np.arange(6.0).reshape(3, 2) + y[:, None], rtol=1e-6
    )
    np.testing.assert_allclose(out["sum"], x.sum(-1), rtol=1e-6)


def test_array_source_records_and_errors():
  source = sources.ArraySource(
      {"x": np.arange(6).reshape(3, 2), "y": np.array([1, 2, 3])}
  )
  assert len(source) == 3
  np.testing.assert_array_equal(source[1]["x"], [2, 3])
  assert source[2]["y"] == 3
  with pytest.raises(ValueError, match="one common length"):
    sources.ArraySource({"x": np.zeros(2), "y": np.zeros(3)})
