"""RECLIP evaluation figures: zero-shot confusion matrices, retrieval examples.

Written by the shapes evaluations into `<workdir>/figures/<stage>/` (process 0
only, overwritten by each evaluation of the stage, so the last one stays) and
shown by `report --workdir`. They make visible what the scalar metrics average
away, e.g. which attribute a model confuses (RECLIP's smoke task learns
colour, fill and quadrant but not shape at its resolution).
"""

import os
import textwrap
from typing import Sequence

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np

from jaxvision import visualize  # pylint: disable=g-bad-import-order


def directory(workdir: str, stage_name: str) -> str | None:
  """Where this stage's figures go; None when nothing should be written."""
  if not workdir or jax.process_index() != 0:
    return None
  return os.path.join(workdir, "figures", stage_name)


def confusion(
    labels: np.ndarray, predictions: np.ndarray, num_classes: int
) -> np.ndarray:
  """Row-normalised confusion matrix: [true class, predicted class]."""
  counts = np.zeros((num_classes, num_classes), np.float64)
  np.add.at(counts, (np.asarray(labels), np.asarray(predictions)), 1)
  return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


def save_confusion(
    path: str,
    labels: np.ndarray,
    predictions: np.ndarray,
    names: Sequence[str],
    title: str,
) -> str:
  return visualize.table_png(
      path,
      confusion(labels, predictions, len(names)),
      list(names),
      list(names),
      title=title,
      xlabel="predicted",
      ylabel="true",
  )


def save_retrieval_examples(
    path: str,
    images: np.ndarray,
    true_captions: Sequence[str],
    retrieved_captions: Sequence[str],
) -> str:
  """One column per query image: the image, its caption and the top-1
  retrieved caption (green when it is the image's own caption, else red)."""
  count = len(images)
  fig, axes = plt.subplots(1, count, squeeze=False, figsize=(2.2 * count, 3.2))
  for ax, image, true, got in zip(
      axes[0], images, true_captions, retrieved_captions
  ):
    ax.imshow(visualize.to_uint8(image, (-1, 1)))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(textwrap.fill(true, 22), fontsize=7)
    ax.set_xlabel(
        "top-1: " + textwrap.fill(got, 22),
        fontsize=7,
        color="tab:green" if got == true else "tab:red",
    )
  fig.suptitle("image -> text retrieval (held-out)", fontsize=9)
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path
