"""Classification metrics: accuracy, confusion matrix, per-class P/R/F1.

Computed on the host from integer labels and predictions of a held-out split.
`mean_std` reports cross-validation folds as the seeds do (mean ± std).
"""

from typing import Sequence

import numpy as np


def confusion_matrix(
    labels: np.ndarray, preds: np.ndarray, num_classes: int
) -> np.ndarray:
  """(num_classes, num_classes) counts; rows are true, columns predicted."""
  labels = np.asarray(labels, np.int64).ravel()
  preds = np.asarray(preds, np.int64).ravel()
  if labels.shape != preds.shape:
    raise ValueError(
        f"{labels.shape[0]} labels but {preds.shape[0]} " "predictions."
    )
  for name, x in (("label", labels), ("prediction", preds)):
    if x.size and (x.min() < 0 or x.max() >= num_classes):
      raise ValueError(
          f"{name}s must be in [0, {num_classes}), got range "
          f"[{x.min()}, {x.max()}]."
      )
  return np.bincount(
      labels * num_classes + preds, minlength=num_classes**2
  ).reshape(num_classes, num_classes)


def report(
    labels: np.ndarray, preds: np.ndarray, class_names: Sequence[str]
) -> dict[str, float]:
  """Accuracy, per-class precision/recall/F1 and their macro means.

  A class with no predictions has precision 0 (and F1 0), as in
  scikit-learn with zero_division=0.
  """
  cm = confusion_matrix(labels, preds, len(class_names))
  tp = np.diag(cm).astype(np.float64)
  predicted, actual = cm.sum(0), cm.sum(1)
  precision = np.divide(
      tp, predicted, out=np.zeros_like(tp), where=predicted > 0
  )
  recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
  denom = precision + recall
  f1 = np.divide(
      2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0
  )
  out = {
      "accuracy": float(tp.sum() / max(cm.sum(), 1)),
      "macro_precision": float(precision.mean()),
      "macro_recall": float(recall.mean()),
      "macro_f1": float(f1.mean()),
      "num_examples": float(cm.sum()),
  }
  for name, p, r, f in zip(class_names, precision, recall, f1):
    out[f"precision/{name}"] = float(p)
    out[f"recall/{name}"] = float(r)
    out[f"f1/{name}"] = float(f)
  return out


def mean_std(values: Sequence[float]) -> tuple[float, float]:
  """Mean and population standard deviation (numpy's default, ddof=0)."""
  values = np.asarray(values, np.float64)
  if values.size == 0:
    raise ValueError("mean_std of no values.")
  return float(values.mean()), float(values.std())
