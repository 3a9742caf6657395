"""Normal metrics against hand-computed angles."""

import numpy as np
import pytest

from jaxvision.evaluators import normals


def test_decode_and_angles():
  encoded = np.array([[0.5, 0.5, 1.0], [1.0, 0.5, 0.5]])  # +z, +x
  unit = normals.decode(encoded)
  np.testing.assert_allclose(unit, [[0, 0, 1], [1, 0, 0]])
  np.testing.assert_allclose(normals.angular_error(unit[:1], unit[1:]), [90])


def test_accumulator_pools_masked_pixels():
  z = np.array([0.0, 0.0, 1.0])
  tilt = lambda deg: np.array(
      [np.sin(np.radians(deg)), 0, np.cos(np.radians(deg))]
  )
  # Batch 1: errors 10 and 22 deg (+ one pixel masked out at 0.5);
  # batch 2: one pixel at 40 deg.
  pred1 = np.stack([tilt(10), tilt(22), tilt(80)])[None, None]
  gt1 = np.stack([z, z, z])[None, None]
  mask1 = np.array([[[1.0, 0.95, 0.5]]])
  pred2, gt2, mask2 = (
      tilt(40)[None, None, None],
      z[None, None, None],
      np.ones((1, 1, 1, 1)),
  )
  acc = normals.Accumulator()
  acc.add(pred1, gt1, mask1)
  acc.add(pred2, gt2, mask2)
  out = acc.result()
  assert out["num_pixels"] == 3
  np.testing.assert_allclose(out["mae"], (10 + 22 + 40) / 3, rtol=1e-9)
  np.testing.assert_allclose(out["acc_20"], 1 / 3)
  np.testing.assert_allclose(out["acc_25"], 2 / 3)
  np.testing.assert_allclose(out["acc_30"], 2 / 3)
  per_batch = normals.Accumulator(normals.Protocol(mae_reduction="per_batch"))
  per_batch.add(pred1, gt1, mask1)
  per_batch.add(pred2, gt2, mask2)
  np.testing.assert_allclose(per_batch.result()["mae"], (16 + 40) / 2)
  assert "mask>=0.9" in acc.protocol.describe()


def test_errors_are_clear():
  with pytest.raises(ValueError, match="mae_reduction"):
    normals.Protocol(mae_reduction="median")
  with pytest.raises(ValueError, match="No masked pixel"):
    normals.Accumulator().result()
  with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
    normals.angular_error(np.zeros((2, 2)), np.zeros((2, 2)))
