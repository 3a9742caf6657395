"""PNG outputs: colour-mapped maps, mask overlays, image grids, tables.

Used by `predict` commands and evaluators (depth maps, segmentation
overlays, attention maps, confusion matrices, probing heat maps). Rendering
is headless (matplotlib's Agg backend; no display needed).
"""

import os
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np
from PIL import Image


def to_uint8(
    image: np.ndarray, value_range: tuple[float, float] = (0, 1)
) -> np.ndarray:
  """An image in `value_range` as uint8, clipped."""
  lo, hi = value_range
  x = (np.asarray(image, np.float32) - lo) / (hi - lo)
  return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)


def colorize(
    values: np.ndarray,
    cmap: str = "magma",
    vmin: float | None = None,
    vmax: float | None = None,
    mask: np.ndarray | None = None,
) -> np.ndarray:
  """(H, W) values -> (H, W, 3) uint8 through a matplotlib colour map.

  vmin/vmax default to the 5th/95th percentile of the (masked) values so a
  few extreme pixels do not wash the map out.
  """
  values = np.asarray(values, np.float32)
  if values.ndim != 2:
    raise ValueError(
        f"colorize needs an (H, W) map, got shape " f"{values.shape}."
    )
  pool = values[mask] if mask is not None else values
  pool = pool[np.isfinite(pool)]
  if pool.size == 0:
    pool = np.zeros((1,), np.float32)
  vmin = float(np.percentile(pool, 5)) if vmin is None else vmin
  vmax = float(np.percentile(pool, 95)) if vmax is None else vmax
  scaled = (values - vmin) / max(vmax - vmin, 1e-12)
  rgb = matplotlib.colormaps[cmap](np.clip(scaled, 0, 1))[..., :3]
  return to_uint8(rgb)


def depth_to_rgb(depth: np.ndarray, cmap: str = "magma") -> np.ndarray:
  """Depth map -> colours of inverse depth (near is bright), as Monodepth."""
  depth = np.asarray(depth, np.float32)
  return colorize(1.0 / np.maximum(depth, 1e-6), cmap)


def overlay(
    image: np.ndarray,
    mask: np.ndarray,
    colour: tuple[int, int, int] = (255, 0, 0),
    alpha: float = 0.5,
) -> np.ndarray:
  """uint8 (H, W, 3) image with a soft or binary (H, W) mask tinted on."""
  image = np.asarray(image, np.float32)
  weight = alpha * np.clip(np.asarray(mask, np.float32), 0, 1)[..., None]
  out = image * (1 - weight) + np.asarray(colour, np.float32) * weight
  return np.round(out).astype(np.uint8)


def grid(
    images: Sequence[np.ndarray], columns: int, pad: int = 2
) -> np.ndarray:
  """uint8 images of one shape tiled row-major into one image."""
  if not images:
    raise ValueError("grid of no images.")
  images = [
      np.asarray(i)
      if np.asarray(i).ndim == 3
      else np.repeat(np.asarray(i)[..., None], 3, -1)
      for i in images
  ]
  h, w, c = images[0].shape
  rows = -(-len(images) // columns)
  out = np.full(
      (rows * (h + pad) + pad, columns * (w + pad) + pad, c), 255, np.uint8
  )
  for k, image in enumerate(images):
    r, col = divmod(k, columns)
    y, x = pad + r * (h + pad), pad + col * (w + pad)
    out[y : y + h, x : x + w] = image
  return out


def save_png(path: str, image: np.ndarray) -> str:
  """Writes a uint8 (H, W), (H, W, 3) or (H, W, 4) array; returns the path."""
  image = np.asarray(image)
  if image.dtype != np.uint8:
    raise ValueError(
        f"save_png needs uint8, got {image.dtype}; use "
        "to_uint8 or colorize first."
    )
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  Image.fromarray(image).save(path)
  return path


def table_png(
    path: str,
    values: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    fmt: str = "{:.2f}",
    cmap: str = "viridis",
) -> str:
  """A labelled heat map with the value in each cell (confusion matrices,
  probing grids)."""
  values = np.asarray(values, np.float64)
  if values.shape != (len(row_labels), len(col_labels)):
    raise ValueError(
        f"values {values.shape} do not match "
        f"{len(row_labels)} rows x {len(col_labels)} columns."
    )
  fig, ax = plt.subplots(
      figsize=(1 + 0.6 * len(col_labels), 1 + 0.5 * len(row_labels))
  )
  im = ax.imshow(values, cmap=cmap)
  ax.set_xticks(
      range(len(col_labels)),
      [str(c) for c in col_labels],
      rotation=45,
      ha="right",
  )
  ax.set_yticks(range(len(row_labels)), [str(r) for r in row_labels])
  finite = values[np.isfinite(values)]
  middle = (finite.min() + finite.max()) / 2 if finite.size else 0
  for (i, j), v in np.ndenumerate(values):
    ax.text(
        j,
        i,
        fmt.format(v),
        ha="center",
        va="center",
        fontsize=7,
        color="white" if v < middle else "black",
    )
  ax.set_title(title)
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  fig.colorbar(im, ax=ax)
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path
