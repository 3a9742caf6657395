"""Surface-normal metrics: mean angular error and accuracy below thresholds.

The SharinGAN/SfSNet protocol on Photoface (spec 7.3): per pixel, the
angle arccos(clip(<n_hat, n*>, -1, 1)) in degrees between the renormalised
prediction and ground truth, over pixels whose mask is >= 0.9. Acc < tau is
pooled over every masked pixel of the test set. MAE is the global mean over
masked pixels (default) or the mean of per-batch means (`per_batch`, what the
official script does with batches of 20). `describe()` is reported with every
result.
"""

import dataclasses

import numpy as np

THRESHOLDS = (20.0, 25.0, 30.0)
REDUCTIONS = ("global", "per_batch")


def decode(encoded: np.ndarray) -> np.ndarray:
  """(n + 1)/2 encoded normals (floats in [0, 1]) -> unit vectors."""
  n = 2.0 * np.asarray(encoded, np.float64) - 1.0
  return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)


def angular_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
  """Degrees between (..., 3) normal maps (each renormalised first)."""
  pred = np.asarray(pred, np.float64)
  gt = np.asarray(gt, np.float64)
  if pred.shape != gt.shape or pred.shape[-1] != 3:
    raise ValueError(
        f"Normal maps must both be (..., 3); got {pred.shape} "
        f"and {gt.shape}."
    )
  unit = lambda n: n / np.maximum(
      np.linalg.norm(n, axis=-1, keepdims=True), 1e-12
  )
  cos = np.clip(np.sum(unit(pred) * unit(gt), axis=-1), -1.0, 1.0)
  return np.degrees(np.arccos(cos))


@dataclasses.dataclass(frozen=True)
class Protocol:
  mask_threshold: float = 0.9
  thresholds: tuple[float, ...] = THRESHOLDS
  mae_reduction: str = "global"

  def __post_init__(self):
    if self.mae_reduction not in REDUCTIONS:
      raise ValueError(
          f"mae_reduction={self.mae_reduction!r}; valid: " f"{REDUCTIONS}."
      )

  def describe(self) -> str:
    return (
        f"mask>={self.mask_threshold:g} thresholds="
        f"{','.join(f'{t:g}' for t in self.thresholds)}deg "
        f"mae_reduction={self.mae_reduction} acc=pooled_pixels"
    )


class Accumulator:
  """Pools angular errors of masked pixels over a test set."""

  def __init__(self, protocol: Protocol = Protocol()):
    self.protocol = protocol
    self._sum = 0.0
    self._count = 0
    self._below = np.zeros(len(protocol.thresholds))
    self._batch_means: list[float] = []

  def add(self, pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> None:
    """One batch: unit-vector maps (B, H, W, 3), mask (B, H, W[, 1])."""
    mask = np.asarray(mask)
    if mask.ndim == np.ndim(pred):
      mask = mask[..., 0]
    valid = mask >= self.protocol.mask_threshold
    errors = angular_error(pred, gt)[valid]
    if not errors.size:
      return
    self._sum += float(errors.sum())
    self._count += errors.size
    self._below += [(errors < t).sum() for t in self.protocol.thresholds]
    self._batch_means.append(float(errors.mean()))

  def result(self) -> dict[str, float]:
    if not self._count:
      raise ValueError(
          "No masked pixel in the normal test set under "
          f"{self.protocol.describe()}."
      )
    mae = (
        self._sum / self._count
        if self.protocol.mae_reduction == "global"
        else float(np.mean(self._batch_means))
    )
    out = {"mae": mae, "num_pixels": float(self._count)}
    for t, below in zip(self.protocol.thresholds, self._below):
      out[f"acc_{t:g}"] = float(below / self._count)
    return out
