"""Classification report against scikit-learn and hand counts."""

import numpy as np
import pytest
from sklearn import metrics as skm

from jaxvision.evaluators import classification


def test_report_matches_sklearn():
  rng = np.random.default_rng(0)
  labels = rng.integers(0, 4, 200)
  preds = np.where(rng.random(200) < 0.6, labels, rng.integers(0, 4, 200))
  preds[preds == 3] = 2  # class 3 is never predicted: precision 0
  names = ["a", "b", "c", "d"]
  out = classification.report(labels, preds, names)
  p, r, f, _ = skm.precision_recall_fscore_support(
      labels, preds, labels=range(4), zero_division=0
  )
  assert out["accuracy"] == pytest.approx(skm.accuracy_score(labels, preds))
  for i, name in enumerate(names):
    assert out[f"precision/{name}"] == pytest.approx(p[i])
    assert out[f"recall/{name}"] == pytest.approx(r[i])
    assert out[f"f1/{name}"] == pytest.approx(f[i])
  assert out["macro_f1"] == pytest.approx(f.mean())
  np.testing.assert_array_equal(
      classification.confusion_matrix(labels, preds, 4),
      skm.confusion_matrix(labels, preds, labels=range(4)),
  )


def test_errors_and_mean_std():
  with pytest.raises(ValueError, match=r"predictions must be in \[0, 2\)"):
    classification.confusion_matrix([0, 1], [0, 2], 2)
  with pytest.raises(ValueError, match="3 labels but 2 predictions"):
    classification.confusion_matrix([0, 1, 1], [0, 1], 2)
  assert classification.mean_std([0.9, 0.8, 1.0]) == pytest.approx(
      (0.9, np.std([0.9, 0.8, 1.0]))
  )
