"""Anomaly detection / localisation metrics: exact AUROC and best IoU.

Pixel-level metrics pool every pixel of every test image (normal images
contribute all-negative masks), as in the VAE-attention chapter (spec 7.1,
7.3). AUROC is the exact, tie-aware Mann-Whitney statistic: tied scores get
half credit, i.e. average ranks.

`ScoreCounts` is the memory-sane way to pool millions of pixels: it keeps one
(score value -> positive count, negative count) table, merged batch by batch,
so memory grows with the number of *distinct* scores (float32), not with the
number of pixels, and no sorted copy of all pixels is ever built.
"""

import numpy as np


class ScoreCounts:
  """Positive / negative counts per distinct score, merged incrementally."""

  def __init__(self):
    self.values = np.zeros((0,), np.float32)
    self.pos = np.zeros((0,), np.int64)
    self.neg = np.zeros((0,), np.int64)

  def add(
      self,
      scores: np.ndarray,
      labels: np.ndarray,
      valid: np.ndarray | None = None,
  ) -> None:
    """Adds scores with binary labels of the same shape.

    Args:
      scores: float array (any shape), e.g. [B, H, W] maps.
      labels: {0, 1} / bool array of the same shape (ground-truth masks).
      valid: optional bool array broadcastable to `scores`; False entries are
        skipped (padding examples, frames without ground truth).
    """
    scores = np.asarray(scores, np.float32)
    labels = np.asarray(labels)
    if scores.shape != labels.shape:
      raise ValueError(
          f"scores {scores.shape} and labels {labels.shape} must "
          "have the same shape (upsample maps to the mask "
          "resolution first)."
      )
    if valid is not None:
      keep = np.broadcast_to(
          np.asarray(valid, bool).reshape(
              np.shape(valid) + (1,) * (scores.ndim - np.ndim(valid))
          ),
          scores.shape,
      )
      scores, labels = scores[keep], labels[keep]
    scores, labels = scores.ravel(), labels.ravel().astype(bool)
    if not np.all(np.isfinite(scores)):
      raise ValueError("scores contain NaN or inf.")
    values, inverse = np.unique(scores, return_inverse=True)
    pos = np.bincount(inverse, weights=labels, minlength=len(values))
    neg = np.bincount(inverse, minlength=len(values)) - pos
    self._merge(values, pos.astype(np.int64), neg.astype(np.int64))

  def _merge(self, values, pos, neg) -> None:
    merged, inverse = np.unique(
        np.concatenate([self.values, values]), return_inverse=True
    )
    self.pos = np.bincount(
        inverse, weights=np.concatenate([self.pos, pos]), minlength=len(merged)
    ).astype(np.int64)
    self.neg = np.bincount(
        inverse, weights=np.concatenate([self.neg, neg]), minlength=len(merged)
    ).astype(np.int64)
    self.values = merged

  def roc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(TP, FP, thresholds) for "score >= threshold", thresholds descending.

    The first point is (0, 0) at threshold +inf.
    """
    tp = np.concatenate([[0], np.cumsum(self.pos[::-1])])
    fp = np.concatenate([[0], np.cumsum(self.neg[::-1])])
    thresholds = np.concatenate([[np.inf], self.values[::-1]])
    return tp, fp, thresholds

  def _totals(self) -> tuple[int, int]:
    num_pos, num_neg = int(self.pos.sum()), int(self.neg.sum())
    if num_pos == 0 or num_neg == 0:
      raise ValueError(
          f"AUROC needs positives and negatives, got {num_pos} "
          f"positive and {num_neg} negative samples."
      )
    return num_pos, num_neg

  def auroc(self) -> float:
    """Exact area under the ROC curve (tied scores count one half)."""
    num_pos, num_neg = self._totals()
    tp, fp, _ = self.roc()
    # NOTE: the trapezoid over distinct thresholds is the Mann-Whitney U
    # with average ranks for ties; integer sums keep it exact.
    area2 = np.sum((fp[1:] - fp[:-1]) * (tp[1:] + tp[:-1]), dtype=np.float64)
    return float(area2 / (2.0 * num_pos * num_neg))

  def best_iou(self) -> tuple[float, float]:
    """max over thresholds t of TP / (TP + FP + FN), and the best t."""
    num_pos, _ = self._totals()
    tp, fp, thresholds = self.roc()
    iou = tp / (num_pos + fp).astype(np.float64)
    best = int(np.argmax(iou))
    return float(iou[best]), float(thresholds[best])


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
  """Exact tie-aware AUROC of scores against binary labels."""
  counts = ScoreCounts()
  counts.add(scores, labels)
  return counts.auroc()


def best_iou(scores: np.ndarray, labels: np.ndarray) -> float:
  """Best pooled IoU over all thresholds (spec 7.3)."""
  counts = ScoreCounts()
  counts.add(scores, labels)
  return counts.best_iou()[0]


def minmax_per_image(maps: np.ndarray) -> np.ndarray:
  """[B, H, W] maps scaled to [0, 1] per image (constant maps -> 0)."""
  maps = np.asarray(maps, np.float32)
  lo = maps.min(axis=(1, 2), keepdims=True)
  span = maps.max(axis=(1, 2), keepdims=True) - lo
  return np.where(span > 0, (maps - lo) / np.where(span > 0, span, 1), 0.0)


class Localization:
  """Pooled pixel AUROC, best IoU and image AUROC of one kind of map.

  Image scores are the maximum of each map (spec 7.2); an image is
  anomalous when its mask has any positive pixel unless `image_labels` are
  given. With `pixel_level=False` (datasets without masks, e.g. one-class
  MNIST) only the image AUROC is computed and `masks` may be None.
  """

  def __init__(self, map_norm: str = "none", pixel_level: bool = True):
    if map_norm not in ("none", "minmax_per_image"):
      raise ValueError(
          f"map_norm must be 'none' or 'minmax_per_image', got "
          f"{map_norm!r}."
      )
    self.map_norm = map_norm
    self.pixel_level = pixel_level
    self.pixels = ScoreCounts()
    self.image_scores: list[np.ndarray] = []
    self.image_labels: list[np.ndarray] = []

  def add(
      self,
      maps: np.ndarray,
      masks: np.ndarray | None,
      valid: np.ndarray | None = None,
      image_labels: np.ndarray | None = None,
  ) -> None:
    """maps, masks: [B, H, W]; valid: [B] bool (False = padding)."""
    maps = np.asarray(maps, np.float32)
    if maps.ndim != 3:
      raise ValueError(f"maps must be [B, H, W], got {maps.shape}.")
    if self.map_norm == "minmax_per_image":
      maps = minmax_per_image(maps)
    valid = (
        np.ones(len(maps), bool) if valid is None else np.asarray(valid, bool)
    )
    if self.pixel_level:
      masks = np.asarray(masks) > 0
      self.pixels.add(maps, masks, valid)
    if image_labels is None:
      if not self.pixel_level:
        raise ValueError("image_labels are needed without pixel masks.")
      labels = masks.any(axis=(1, 2))
    else:
      labels = np.asarray(image_labels, bool)
    self.image_scores.append(maps.max(axis=(1, 2))[valid])
    self.image_labels.append(labels[valid])

  def result(self, prefix: str) -> dict[str, float]:
    out = {}
    if self.pixel_level:
      out[f"pixel_auroc_{prefix}"] = self.pixels.auroc()
      out[f"best_iou_{prefix}"] = self.pixels.best_iou()[0]
    labels = np.concatenate(self.image_labels)
    if labels.any() and not labels.all():
      out[f"image_auroc_{prefix}"] = auroc(
          np.concatenate(self.image_scores), labels
      )
    return out
