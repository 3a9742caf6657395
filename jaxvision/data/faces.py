"""Face geometry data from local copies: SfSNet synthetic faces, Photoface.

Nothing is downloaded; missing files raise naming what to put where.
Normal maps are stored as PNGs encoding (n + 1)/2 * 255 and returned as
float32 in [0, 1] in that encoding (decode with 2x - 1 and renormalise);
masks are float32 (H, W, 1) in [0, 1].

* `SfSFaces(root, csv_file)`: the SfSNet synthetic release described by a CSV
  whose rows are `image,mask,normal,albedo,l0,...,l26` (paths relative to
  `root`, then the 27 SH lighting coefficients ordered R0..8 G0..8 B0..8).
  A header row is skipped.
* `Photoface(root, list_file=None)`: aligned Photoface crops
  `<id>_align.png`, `<id>_normal.png`, `<id>_mask.png`; `list_file` lists one
  `<id>` per line (the official split lists), otherwise every `*_align.png`
  under `root` is used.
"""

import csv
import glob
import os
from typing import Any

import numpy as np

from jaxvision import user_errors
from jaxvision.data import pp

NUM_LIGHT = 27


def _require(path: str, what: str) -> str:
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"Missing {path!r} ({what}). Put a local copy "
        "there; nothing is downloaded automatically."
    )
  return path


def _read(path: str, what: str, mode: str) -> np.ndarray:
  return pp.decode_file(_require(path, what), mode)


def read_normal_png(path: str) -> np.ndarray:
  """A (n+1)/2 * 255 normal PNG as float32 (H, W, 3) in [0, 1]."""
  return _read(path, "normal map PNG", "RGB").astype(np.float32) / 255.0


def read_mask(path: str) -> np.ndarray:
  return (_read(path, "mask PNG", "L").astype(np.float32) / 255.0)[..., None]


class SfSFaces:
  """Synthetic faces {"image", "mask", "normal", "albedo", "light"}."""

  def __init__(self, root: str, csv_file: str):
    with open(_require(csv_file, "SfSNet synthetic CSV")) as f:
      rows = [r for r in csv.reader(f) if r]
    if rows and not _is_number(rows[0][-1]):
      rows = rows[1:]
    bad = [i for i, r in enumerate(rows) if len(r) != 4 + NUM_LIGHT]
    if bad:
      raise user_errors.InvalidValueError(
          f"{csv_file!r} data row {bad[0] + 1} has "
          f"{len(rows[bad[0]])} columns; expected image, mask, "
          f"normal, albedo and {NUM_LIGHT} light values."
      )
    if not rows:
      raise user_errors.InvalidValueError(f"{csv_file!r} has no data rows.")
    self._root = root
    self.rows = rows

  def __len__(self) -> int:
    return len(self.rows)

  def __getitem__(self, index: int) -> dict[str, Any]:
    row = self.rows[int(index)]
    path = lambda rel: os.path.join(self._root, rel)
    return {
        "image": _read(path(row[0]), "face image", "RGB"),
        "mask": read_mask(path(row[1])),
        "normal": read_normal_png(path(row[2])),
        "albedo": _read(path(row[3]), "albedo PNG", "RGB").astype(np.float32)
        / 255.0,
        "light": np.asarray([float(v) for v in row[4:]], np.float32),
    }


def _is_number(text: str) -> bool:
  try:
    float(text)
  except ValueError:
    return False
  return True


class Photoface:
  """Photoface test faces {"image", "normal", "mask"} (Table 2.3)."""

  def __init__(self, root: str, list_file: str | None = None):
    _require(root, "Photoface folder")
    if list_file:
      with open(_require(list_file, "Photoface split list")) as f:
        self.ids = [line.strip() for line in f if line.strip()]
    else:
      self.ids = sorted(
          os.path.basename(p)[: -len("_align.png")]
          for p in glob.glob(os.path.join(root, "*_align.png"))
      )
    if not self.ids:
      raise user_errors.InvalidValueError(
          f"No Photoface faces found under {root!r} (expected "
          "<id>_align.png, <id>_normal.png, <id>_mask.png)."
      )
    self._root = root

  def __len__(self) -> int:
    return len(self.ids)

  def __getitem__(self, index: int) -> dict[str, Any]:
    stem = os.path.join(self._root, self.ids[int(index)])
    return {
        "image": _read(stem + "_align.png", "Photoface image", "RGB"),
        "normal": read_normal_png(stem + "_normal.png"),
        "mask": read_mask(stem + "_mask.png"),
    }


def validation_ids(train_ids: list[str], fraction: float = 0.15) -> list[str]:
  """Photoface val = the last 15% of the official train list (spec 5.2)."""
  return train_ids[len(train_ids) - int(round(fraction * len(train_ids))) :]
