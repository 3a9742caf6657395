"""Exact pooled AUROC / best IoU against hand values and scikit-learn."""

import numpy as np
import pytest
from sklearn import metrics as sk_metrics

from jaxvision.evaluators import anomaly


def test_auroc_by_hand_with_and_without_ties():
  # Pairs (pos, neg): 0.35 loses to 0.4, wins over 0.1; 0.8 wins both: 3/4.
  assert anomaly.auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
  # Ties count one half: 0.9 beats both negatives (2), 0.5 ties both (1).
  assert anomaly.auroc([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1]) == 0.75
  assert anomaly.auroc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5
  assert anomaly.auroc([0, 1], [1, 0]) == 0.0


def test_best_iou_by_hand():
  # t=0.9: 1/(1+0+1); t=0.8: 1/(1+1+1); t=0.7: 2/(2+1+0); t=0.1: 2/(2+2+0).
  counts = anomaly.ScoreCounts()
  counts.add(np.array([0.9, 0.8, 0.7, 0.1]), np.array([1, 0, 1, 0]))
  iou, threshold = counts.best_iou()
  assert iou == pytest.approx(2 / 3)
  assert threshold == pytest.approx(0.7)


def test_matches_sklearn_on_pooled_maps_with_ties_and_padding():
  rng = np.random.default_rng(0)
  masks = (rng.random((12, 16, 16)) < 0.1).astype(np.uint8)
  maps = np.round(rng.random((12, 16, 16)) + 0.7 * masks, 2)  # many ties
  valid = np.arange(12) < 10
  counts = anomaly.ScoreCounts()
  for start in range(0, 12, 5):  # merged batch by batch
    counts.add(
        maps[start : start + 5],
        masks[start : start + 5],
        valid[start : start + 5],
    )
  expected = sk_metrics.roc_auc_score(masks[:10].ravel(), maps[:10].ravel())
  assert counts.auroc() == pytest.approx(expected, abs=1e-12)
  # Best IoU from sklearn's ROC: TP = TPR * P, FP = FPR * N, FN = P - TP.
  fpr, tpr, _ = sk_metrics.roc_curve(masks[:10].ravel(), maps[:10].ravel())
  p, n = masks[:10].sum(), masks[:10].size - masks[:10].sum()
  tp, fp = tpr * p, fpr * n
  assert counts.best_iou()[0] == pytest.approx(np.max(tp / (p + fp)))


def test_memory_grows_with_distinct_scores_not_pixels():
  rng = np.random.default_rng(1)
  counts = anomaly.ScoreCounts()
  for _ in range(8):  # 8 x 256 x 1024 = 2M pixels, 256 distinct scores
    labels = rng.random((256, 1024)) < 0.05
    scores = (rng.integers(0, 200, labels.shape) + 56 * labels) / 255.0
    counts.add(scores, labels)
  assert len(counts.values) <= 256
  assert counts.pos.sum() + counts.neg.sum() == 8 * 256 * 1024
  assert 0.5 < counts.auroc() < 1.0


def test_localization_pools_pixels_and_scores_images():
  maps = np.zeros((3, 4, 4), np.float32)
  masks = np.zeros((3, 4, 4), np.uint8)
  masks[0, 1, 1] = 1
  maps[0, 1, 1] = 5.0
  maps[1, 0, 0] = 1.0  # a normal image with a weaker false positive
  loc = anomaly.Localization()
  loc.add(maps, masks, valid=np.array([True, True, False]))
  out = loc.result("sa")
  assert out["pixel_auroc_sa"] == 1.0
  assert out["best_iou_sa"] == 1.0
  assert out["image_auroc_sa"] == 1.0


def test_map_norm_and_errors():
  maps = np.array([[[0.0, 2.0]], [[1.0, 1.0]]])
  np.testing.assert_allclose(
      anomaly.minmax_per_image(maps), [[[0.0, 1.0]], [[0.0, 0.0]]]
  )
  with pytest.raises(ValueError, match="map_norm"):
    anomaly.Localization("per_image")
  with pytest.raises(ValueError, match="same shape"):
    anomaly.auroc(np.zeros((2, 4)), np.zeros((2, 2)))
  with pytest.raises(ValueError, match="positives and negatives"):
    anomaly.auroc([0.1, 0.2], [0, 0])
