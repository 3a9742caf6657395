"""Monocular depth metrics with an explicit, recorded protocol.

Both depth methods (SharinGAN: metric depth, no median scaling; MonoIndoor++:
per-image median scaling) use `evaluate_image` per test image and average the
per-image metrics over images (the official Monodepth/SharinGAN scripts do
the same). The `Protocol` is returned with every result so a number is never
reported without the crop, caps and scaling that produced it.
"""

import dataclasses
from typing import Iterable

import numpy as np

METRICS = ("abs_rel", "sq_rel", "rmse", "rmse_log", "a1", "a2", "a3")

# Row/column fractions of the crops (Garg et al. 2016; Eigen et al. 2014).
CROPS = {
    "garg": (0.40810811, 0.99189189, 0.03594771, 0.96405229),
    "eigen": (0.3324324, 0.91351351, 0.03594771, 0.96405229),
}
# The NYUv2 Eigen crop is given in pixels at 640x480: rows 45:471, cols 41:601.
NYU_EIGEN_CROP = (45 / 480, 471 / 480, 41 / 640, 601 / 640)
CROPS["nyu_eigen"] = NYU_EIGEN_CROP


@dataclasses.dataclass(frozen=True)
class Protocol:
  """How predictions are compared with ground truth.

  Attributes:
    min_depth, max_depth: GT pixels with min < gt < max are valid; the
      prediction is clipped to [min_depth, max_depth] (after scaling).
    crop: None, or a name in `CROPS`, applied to the valid mask.
    median_scaling: multiply the prediction by median(gt)/median(pred) over
      the valid pixels of each image (self-supervised, scale-free methods).
  """

  min_depth: float = 1e-3
  max_depth: float = 80.0
  crop: str | None = None
  median_scaling: bool = False

  def __post_init__(self):
    if self.crop is not None and self.crop not in CROPS:
      raise ValueError(
          f"Unknown depth crop {self.crop!r}; valid: "
          f"{sorted(CROPS)} or None."
      )
    if not 0 <= self.min_depth < self.max_depth:
      raise ValueError(
          f"Need 0 <= min_depth < max_depth, got "
          f"{self.min_depth}, {self.max_depth}."
      )

  def describe(self) -> str:
    return (
        f"min_depth={self.min_depth:g} max_depth={self.max_depth:g} "
        f"crop={self.crop or 'none'} "
        f"median_scaling={self.median_scaling} per_image_mean=True"
    )


def crop_mask(shape: tuple[int, int], crop: str | None) -> np.ndarray:
  """A boolean (H, W) mask that is True inside the named crop."""
  h, w = shape
  mask = np.zeros((h, w), bool)
  if crop is None:
    mask[:] = True
    return mask
  top, bottom, left, right = CROPS[crop]
  mask[int(top * h) : int(bottom * h), int(left * w) : int(right * w)] = True
  return mask


def evaluate_image(
    pred: np.ndarray, gt: np.ndarray, protocol: Protocol
) -> dict[str, float] | None:
  """Metrics of one (H, W) prediction at GT resolution; None if no valid px.

  Median scaling happens before the clip (MonoIndoor++ order: median-scale,
  then cap, spec pitfall 17).
  """
  pred = np.asarray(pred, np.float64)
  gt = np.asarray(gt, np.float64)
  if pred.shape != gt.shape:
    raise ValueError(
        f"prediction shape {pred.shape} != ground truth shape "
        f"{gt.shape}; resize the prediction to GT resolution."
    )
  valid = (gt > protocol.min_depth) & (gt < protocol.max_depth)
  valid &= crop_mask(gt.shape, protocol.crop) & np.isfinite(pred)
  if not valid.any():
    return None
  d, g = pred[valid], gt[valid]
  if protocol.median_scaling:
    d = d * (np.median(g) / max(np.median(d), 1e-12))
  d = np.clip(d, protocol.min_depth, protocol.max_depth)
  ratio = np.maximum(d / g, g / d)
  return {
      "abs_rel": float(np.mean(np.abs(d - g) / g)),
      "sq_rel": float(np.mean((d - g) ** 2 / g)),
      "rmse": float(np.sqrt(np.mean((d - g) ** 2))),
      "rmse_log": float(np.sqrt(np.mean((np.log(d) - np.log(g)) ** 2))),
      "a1": float(np.mean(ratio < 1.25)),
      "a2": float(np.mean(ratio < 1.25**2)),
      "a3": float(np.mean(ratio < 1.25**3)),
  }


class Accumulator:
  """Per-image metrics averaged over images."""

  def __init__(self, protocol: Protocol):
    self.protocol = protocol
    self._sums = dict.fromkeys(METRICS, 0.0)
    self.count = 0
    self.skipped = 0

  def add(self, preds: Iterable[np.ndarray], gts: Iterable[np.ndarray]):
    for pred, gt in zip(preds, gts):
      metrics = evaluate_image(pred, gt, self.protocol)
      if metrics is None:
        self.skipped += 1
        continue
      self.count += 1
      for k, v in metrics.items():
        self._sums[k] += v

  def result(self) -> dict[str, float]:
    if not self.count:
      raise ValueError(
          "No test image had a valid ground-truth pixel under "
          f"protocol {self.protocol.describe()}."
      )
    out = {k: v / self.count for k, v in self._sums.items()}
    out["num_images"] = float(self.count)
    return out
