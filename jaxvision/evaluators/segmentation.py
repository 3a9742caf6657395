"""Text-based segmentation metrics with CLIPSeg's fixed-threshold protocol.

LD-ZNet (seed 000, ch. 3) "follows the evaluation methodology of CLIPSeg":
sigmoid probabilities at GT resolution are binarised at the 49 thresholds
0.02, 0.04, ..., 0.98 and, per threshold, pixel counts are summed.

  iou_fg  max over thresholds of sum TP / (1 + sum TP + sum FP + sum FN)
  miou    max over thresholds of the mean per-sample TP / (1 + TP + FP + FN)
          (CLIPSeg gives every sample its own class id); with
          `miou_mode='binary_fg_bg'` it is (fg IoU + bg IoU) / 2 instead.
  ap      Simpson's-rule integral of precision over recall across the
          thresholds with predictions (TP + FP > 0), duplicates removed.

Counts are exact (a pixel is positive at threshold t when p > t) and kept
per sample and threshold, so memory is O(samples x 49), not O(pixels).
"""

import numpy as np
from scipy import integrate

THRESHOLDS = np.linspace(0, 1, 51)[1:-1]
MIOU_MODES = ("per_sample", "binary_fg_bg")


def _counts_above(values: np.ndarray) -> np.ndarray:
  """For each threshold t_j, how many of `values` are > t_j."""
  # NOTE: searchsorted(side='left') counts thresholds strictly below p, so
  # p > t_j exactly for j < index.
  index = np.searchsorted(THRESHOLDS, values, side="left")
  per_index = np.bincount(index, minlength=len(THRESHOLDS) + 1)
  return per_index[::-1].cumsum()[::-1][1:]


class FixedThresholdMetrics:
  """Accumulates (probabilities, masks) batches; `result()` gives the metrics."""

  def __init__(self, miou_mode: str = "per_sample"):
    if miou_mode not in MIOU_MODES:
      raise ValueError(
          f"miou_mode must be one of {MIOU_MODES}, got " f"{miou_mode!r}."
      )
    self.miou_mode = miou_mode
    self._tp, self._fp, self._fn, self._tn = [], [], [], []

  def add(self, probs: np.ndarray, masks: np.ndarray) -> None:
    """probs: float (N, H, W) in [0, 1]; masks: (N, H, W) binary GT."""
    probs = np.asarray(probs, np.float64)
    masks = np.asarray(masks).astype(bool)
    if probs.shape != masks.shape or probs.ndim != 3:
      raise ValueError(
          f"probabilities {probs.shape} and masks "
          f"{masks.shape} must both be (N, H, W) at GT "
          "resolution; resize predictions first."
      )
    if probs.size and (
        probs.min() < 0 or probs.max() > 1 or not np.isfinite(probs).all()
    ):
      raise ValueError(
          "probabilities must be finite and in [0, 1]; apply "
          "a sigmoid to logits first."
      )
    for p, m in zip(probs, masks):
      positives, negatives = p[m], p[~m]
      tp = _counts_above(positives)
      fp = _counts_above(negatives)
      self._tp.append(tp)
      self._fp.append(fp)
      self._fn.append(positives.size - tp)
      self._tn.append(negatives.size - fp)

  @property
  def num_samples(self) -> int:
    return len(self._tp)

  def result(self) -> dict[str, float]:
    if not self._tp:
      raise ValueError("No samples were added.")
    tp, fp, fn, tn = (
        np.asarray(x, np.float64)
        for x in (self._tp, self._fp, self._fn, self._tn)
    )
    stp, sfp, sfn, stn = tp.sum(0), fp.sum(0), fn.sum(0), tn.sum(0)
    fg_iou = stp / (1 + stp + sfp + sfn)
    if self.miou_mode == "per_sample":
      miou = np.mean(tp / (1 + tp + fp + fn), axis=0)
    else:
      miou = (fg_iou + stn / (1 + stn + sfn + sfp)) / 2
    best = int(np.argmax(fg_iou))
    return {
        "iou_fg": float(fg_iou.max()),
        "miou": float(miou.max()),
        "ap": _average_precision(stp, sfp, sfn),
        "best_threshold": float(THRESHOLDS[best]),
        "num_samples": float(self.num_samples),
    }


def _average_precision(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> float:
  valid = tp + fp > 0
  precision = tp[valid] / (1 + tp[valid] + fp[valid])
  recall = tp[valid] / (1 + tp[valid] + fn[valid])
  pairs = np.unique(np.stack([recall, precision], 1), axis=0)
  if len(pairs) < 2:
    return 0.0
  return float(integrate.simpson(pairs[:, 1], x=pairs[:, 0]))
