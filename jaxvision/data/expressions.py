"""RaFD (Radboud Faces Database) expressions, from a local folder.

RaFD is licensed on request and has no tfds builder. Two layouts are read:

* StarGAN's prepared layout: `root/train/<expression>/*.jpg` and
  `root/test/<expression>/*.jpg` (faces already cropped, e.g. to 256 px);
* the raw release: `root/*.jpg` named like
  `Rafd090_01_Caucasian_female_angry_frontal.jpg` (camera angle, model id,
  ethnicity, gender, expression, gaze). The split is by model identity: a
  seeded 10% of the model ids is "test", so no person is in both splits.

Records are {"image": uint8 (H, W, 3), "label": int32 expression index,
"attributes": int32 one-hot (8,)}; expression indices follow `EXPRESSIONS`.
"""

import os
import random
from typing import Any

import numpy as np

from jaxvision import user_errors
from jaxvision.data import pp

EXPRESSIONS = (
    "angry",
    "contemptuous",
    "disgusted",
    "fearful",
    "happy",
    "neutral",
    "sad",
    "surprised",
)
_IMAGE_EXTS = (".jpg", ".jpeg", ".png")
_TEST_FRACTION = 0.1
_SPLIT_SEED = 1234


def _images(directory: str) -> list[str]:
  return sorted(
      f for f in os.listdir(directory) if f.lower().endswith(_IMAGE_EXTS)
  )


def parse_name(name: str) -> tuple[str, str]:
  """(model id, expression) of a raw RaFD file name."""
  parts = os.path.splitext(name)[0].split("_")
  if len(parts) != 6 or parts[4] not in EXPRESSIONS:
    raise user_errors.InvalidValueError(
        f"{name!r} is not a RaFD file name like "
        "'Rafd090_01_Caucasian_female_angry_frontal.jpg'."
    )
  return parts[1], parts[4]


def _prepared(root: str, split: str) -> list[tuple[str, int]]:
  base = os.path.join(root, split)
  items = []
  for label, expression in enumerate(EXPRESSIONS):
    directory = os.path.join(base, expression)
    if os.path.isdir(directory):
      items += [(os.path.join(directory, f), label) for f in _images(directory)]
  return items


def _raw(root: str, split: str) -> list[tuple[str, int]]:
  files = [f for f in _images(root) if f.startswith("Rafd")]
  parsed = [(f, *parse_name(f)) for f in files]
  models = sorted({model for _, model, _ in parsed})
  random.Random(_SPLIT_SEED).shuffle(models)
  test_models = set(models[: max(1, round(_TEST_FRACTION * len(models)))])
  return [
      (os.path.join(root, f), EXPRESSIONS.index(expression))
      for f, model, expression in parsed
      if (model in test_models) == (split == "test")
  ]


class RaFD:
  """Random-access RaFD records of one split ("train" or "test")."""

  def __init__(self, root: str, split: str):
    if split not in ("train", "test"):
      raise user_errors.InvalidValueError(
          f"RaFD splits are 'train' and 'test', got {split!r}."
      )
    if os.path.isdir(os.path.join(root, split)):
      self._items = _prepared(root, split)
    elif os.path.isdir(root):
      self._items = _raw(root, split)
    else:
      self._items = []
    if not self._items:
      raise FileNotFoundError(
          f"No RaFD images for split {split!r} under {root!r}. Expected "
          f"StarGAN's layout {root}/{{train,test}}/<expression>/*.jpg with "
          f"expressions {list(EXPRESSIONS)}, or the raw release's "
          "Rafd090_01_Caucasian_female_angry_frontal.jpg files directly in "
          "the folder. RaFD is available on request from "
          "rafd.socsci.ru.nl; nothing is downloaded automatically."
      )

  @property
  def labels(self) -> np.ndarray:
    return np.asarray([label for _, label in self._items], np.int32)

  def __len__(self) -> int:
    return len(self._items)

  def __getitem__(self, index: int) -> dict[str, Any]:
    path, label = self._items[int(index)]
    pixels = pp.decode_file(path, "RGB")  # corrupt: skipped and counted
    onehot = np.zeros(len(EXPRESSIONS), np.int32)
    onehot[label] = 1
    return {"image": pixels, "label": np.int32(label), "attributes": onehot}
