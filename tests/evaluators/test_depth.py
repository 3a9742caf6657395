"""Depth metrics and protocol against hand-computed values."""

import numpy as np
import pytest

from jaxvision.evaluators import depth


def test_metrics_of_a_known_prediction():
  gt = np.array([[2.0, 4.0], [8.0, 100.0]])  # 100 m is beyond the cap
  pred = np.array([[1.0, 4.0], [16.0, 5.0]])
  m = depth.evaluate_image(pred, gt, depth.Protocol(1.0, 80.0))
  d, g = np.array([1.0, 4.0, 16.0]), np.array([2.0, 4.0, 8.0])
  assert m["abs_rel"] == pytest.approx(np.mean(np.abs(d - g) / g))
  assert m["sq_rel"] == pytest.approx(np.mean((d - g) ** 2 / g))
  assert m["rmse"] == pytest.approx(np.sqrt(np.mean((d - g) ** 2)))
  assert m["rmse_log"] == pytest.approx(np.sqrt(np.mean(np.log(d / g) ** 2)))
  assert m["a1"] == pytest.approx(1 / 3)  # ratios 2, 1, 2
  assert m["a3"] == pytest.approx(1 / 3)  # 1.25**3 = 1.95 < 2


def test_median_scaling_then_cap_and_per_image_mean():
  gt = np.full((4, 4), 5.0)
  protocol = depth.Protocol(1e-3, 10.0, median_scaling=True)
  # A prediction off by a global factor is perfect after median scaling.
  assert depth.evaluate_image(0.1 * gt, gt, protocol)["abs_rel"] == (
      pytest.approx(0.0, abs=1e-12)
  )
  # Scaling happens before the 10 m cap: 9 m GT, prediction 3x too small but
  # with one pixel far off; after scaling that pixel is capped at 10 m.
  gt2 = np.full((2, 2), 9.0)
  pred2 = np.array([[3.0, 3.0], [3.0, 30.0]])
  m = depth.evaluate_image(pred2, gt2, protocol)
  assert m["abs_rel"] == pytest.approx((10 - 9) / 9 / 4)
  acc = depth.Accumulator(protocol)
  acc.add([0.1 * gt, pred2], [gt, gt2])
  assert acc.result()["abs_rel"] == pytest.approx((0 + (1 / 9) / 4) / 2)
  assert acc.result()["num_images"] == 2


def test_garg_crop_and_errors():
  mask = depth.crop_mask((375, 1242), "garg")
  rows = np.flatnonzero(mask.any(1))
  cols = np.flatnonzero(mask.any(0))
  assert (rows[0], rows[-1] + 1) == (
      int(0.40810811 * 375),
      int(0.99189189 * 375),
  )
  assert (cols[0], cols[-1] + 1) == (
      int(0.03594771 * 1242),
      int(0.96405229 * 1242),
  )
  with pytest.raises(ValueError, match="Unknown depth crop 'gar'"):
    depth.Protocol(crop="gar")
  with pytest.raises(ValueError, match="resize the prediction"):
    depth.evaluate_image(np.ones((2, 2)), np.ones((3, 3)), depth.Protocol())
  acc = depth.Accumulator(depth.Protocol(1.0, 80.0))
  acc.add([np.ones((2, 2))], [np.zeros((2, 2))])
  assert acc.skipped == 1
  with pytest.raises(ValueError, match="No test image had a valid"):
    acc.result()
  assert "crop=garg" in depth.Protocol(1, 50, "garg").describe()
