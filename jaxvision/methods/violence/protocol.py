"""Cross-validation folds and the two reporting protocols (spec 7, app. A.6.3).

Protocol A (the dissertation's): per-epoch mean accuracy over folds, peak
epoch e* = argmax, then mean +- std of every fold's accuracy in the epochs
[e* - r, e* + r] (inclusive, clipped to the curve). Protocol B (the '*'
rows, the convention of [146]): each fold's best epoch, mean +- std over
folds.

NOTE: both pick epochs on the test folds (there is no validation split);
reports must say so. The last-epoch mean is reported as an honest extra.
"""

import numpy as np

from jaxvision.evaluators import classification


def assign_folds(labels: np.ndarray, num_folds: int, seed: int) -> np.ndarray:
  """Random fold id in [0, num_folds) per example, stratified by label.

  Each class is shuffled with `seed` and dealt round-robin, continuing the
  deal across classes, so folds differ in size by at most one (246 Violent
  Flows clips give folds of 49-50).
  """
  labels = np.asarray(labels)
  if num_folds < 2:
    raise ValueError(f"num_folds must be >= 2, got {num_folds}.")
  if len(labels) < num_folds:
    raise ValueError(f"{len(labels)} examples cannot fill {num_folds} folds.")
  rng = np.random.default_rng(seed)
  folds = np.empty(len(labels), np.int64)
  offset = 0
  for label in np.unique(labels):
    members = rng.permutation(np.flatnonzero(labels == label))
    folds[members] = (offset + np.arange(len(members))) % num_folds
    offset += len(members)
  return folds


def _check_matrix(acc: np.ndarray) -> np.ndarray:
  acc = np.asarray(acc, np.float64)
  if acc.ndim != 2 or 0 in acc.shape:
    raise ValueError(
        f"expected accuracies of shape (folds, epochs), got " f"{acc.shape}."
    )
  return acc


def windowed_peak_accuracy(
    acc: np.ndarray, radius: int, ddof: int = 0
) -> dict[str, float]:
  """Protocol A on acc[fold, epoch] (epochs 0-based here).

  Returns:
    mean, std: over all acc[f, e] with |e - e*| <= radius (clipped to the
      available epochs), std with `ddof` (population by default).
    peak_epoch: e* (0-based); peak_mean: the fold-mean accuracy there;
    num_values: how many accuracies were pooled.
  """
  acc = _check_matrix(acc)
  if radius < 0:
    raise ValueError(f"radius must be >= 0, got {radius}.")
  peak = int(np.argmax(acc.mean(0)))
  window = acc[:, max(peak - radius, 0) : peak + radius + 1].ravel()
  if ddof:
    mean, std = float(window.mean()), float(window.std(ddof=ddof))
  else:
    mean, std = classification.mean_std(window)
  return {
      "mean": mean,
      "std": std,
      "peak_epoch": float(peak),
      "peak_mean": float(acc.mean(0)[peak]),
      "num_values": float(window.size),
  }


def per_fold_max(acc: np.ndarray) -> dict[str, float]:
  """Protocol B: mean +- population std over folds of each fold's best epoch."""
  mean, std = classification.mean_std(_check_matrix(acc).max(1))
  return {"mean": mean, "std": std}


def last_epoch(acc: np.ndarray) -> dict[str, float]:
  """Mean +- std over folds of the final epoch's accuracy (no selection)."""
  mean, std = classification.mean_std(_check_matrix(acc)[:, -1])
  return {"mean": mean, "std": std}
