"""CLIPSeg-protocol segmentation metrics against brute-force computation."""

import numpy as np
import pytest
from scipy import integrate

from jaxvision.evaluators import segmentation


def _brute_force(probs, masks):
  fg, per_sample, pr = [], [], []
  for t in segmentation.THRESHOLDS:
    pred = probs > t
    tp = (pred & masks).sum((1, 2)).astype(float)
    fp = (pred & ~masks).sum((1, 2)).astype(float)
    fn = (~pred & masks).sum((1, 2)).astype(float)
    fg.append(tp.sum() / (1 + tp.sum() + fp.sum() + fn.sum()))
    per_sample.append(np.mean(tp / (1 + tp + fp + fn)))
    if tp.sum() + fp.sum() > 0:
      pr.append(
          (
              tp.sum() / (1 + tp.sum() + fn.sum()),
              tp.sum() / (1 + tp.sum() + fp.sum()),
          )
      )
  pr = np.unique(np.array(pr), axis=0)
  return max(fg), max(per_sample), integrate.simpson(pr[:, 1], x=pr[:, 0])


def test_matches_brute_force_including_values_on_thresholds():
  rng = np.random.default_rng(0)
  masks = rng.random((6, 9, 11)) < 0.3
  probs = np.clip(0.6 * masks + 0.5 * rng.random(masks.shape), 0, 1)
  probs[0, 0, :5] = [0.02, 0.04, 0.5, 0.98, 1.0]  # exactly on thresholds
  metrics = segmentation.FixedThresholdMetrics()
  metrics.add(probs[:4], masks[:4])
  metrics.add(probs[4:], masks[4:])
  out = metrics.result()
  fg, miou, ap = _brute_force(probs, masks)
  assert out["iou_fg"] == pytest.approx(fg)
  assert out["miou"] == pytest.approx(miou)
  assert out["ap"] == pytest.approx(ap)
  assert out["num_samples"] == 6


def test_perfect_and_empty_predictions():
  masks = np.zeros((2, 8, 8), bool)
  masks[:, 2:6, 2:6] = True
  perfect = segmentation.FixedThresholdMetrics()
  perfect.add(masks.astype(float), masks)
  out = perfect.result()
  assert out["iou_fg"] == pytest.approx(32 / 33)  # the +1 in the denominator
  assert out["miou"] == pytest.approx(16 / 17)
  empty = segmentation.FixedThresholdMetrics()
  empty.add(np.zeros((2, 8, 8)), masks)
  assert empty.result()["iou_fg"] == 0.0 and empty.result()["ap"] == 0.0
  binary = segmentation.FixedThresholdMetrics("binary_fg_bg")
  binary.add(masks.astype(float), masks)
  assert binary.result()["miou"] == pytest.approx((32 / 33 + 96 / 97) / 2)


def test_bad_inputs():
  metrics = segmentation.FixedThresholdMetrics()
  with pytest.raises(ValueError, match="resize predictions first"):
    metrics.add(np.zeros((1, 4, 4)), np.zeros((1, 8, 8)))
  with pytest.raises(ValueError, match="apply a sigmoid"):
    metrics.add(np.full((1, 2, 2), 3.0), np.zeros((1, 2, 2)))
  with pytest.raises(ValueError, match="No samples"):
    metrics.result()
  with pytest.raises(ValueError, match="miou_mode"):
    segmentation.FixedThresholdMetrics("mean")
