"""CelebA from its original folder layout, as a random-access source.

The aligned-and-cropped release of CelebA unpacks to

  root/img_align_celeba/000001.jpg ... 202599.jpg   (178 wide x 218 high)
  root/list_attr_celeba.txt      line 1: count, line 2: the 40 attribute
                                 names, then "<file> v1 ... v40", v in {1,-1}
  root/list_eval_partition.txt   "<file> p", p = 0 train, 1 val, 2 test

`CelebA(root, split)` reads the two text files once and decodes images lazily,
so it can be handed to `jaxvision.data.pipeline.make_iterator` like any other
source. Two split conventions exist:

* `partition="official"` (the default): the `list_eval_partition.txt` splits
  (train 162,770 / validation 19,867 / test 19,962; same as tfds `celeb_a`).
* `partition="stargan"`: StarGAN's split (Choi et al., `data_loader.py`):
  `random.seed(1234); random.shuffle(lines)` over the attribute lines, the
  first 1,999 shuffled lines are "test", the rest "train". No partition file
  is needed for it.
"""

import os
import random
from typing import Any, Sequence

import numpy as np

from jaxvision import user_errors
from jaxvision.data import pp

IMAGE_DIR = "img_align_celeba"
ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
IMAGE_SHAPE = (218, 178, 3)

_OFFICIAL_SPLITS = {"train": 0, "validation": 1, "test": 2}
# NOTE: StarGAN's loop tests `(i + 1) < 2000`, so its test split holds 1,999
# images, not 2,000.
STARGAN_TEST_SIZE = 1999
STARGAN_SEED = 1234


def _layout_hint(root: str) -> str:
  return (
      f"Expected the original CelebA layout under {root!r}: "
      f"{IMAGE_DIR}/*.jpg, {ATTR_FILE} and (for the official splits) "
      f"{PARTITION_FILE}, e.g. unpacked from the 'Align&Cropped Images' "
      "and 'Anno'/'Eval' folders of the CelebA release. Nothing is "
      "downloaded automatically."
  )


def _require(path: str, root: str) -> str:
  if not os.path.exists(path):
    raise FileNotFoundError(f"Missing {path!r}. {_layout_hint(root)}")
  return path


def read_attributes(path: str) -> tuple[list[str], list[str], np.ndarray]:
  """Parses list_attr_celeba.txt -> (names, files, int8 [N, 40] of +-1)."""
  with open(path) as f:
    lines = f.read().splitlines()
  if len(lines) < 2:
    raise user_errors.InvalidValueError(
        f"{path!r} is too short to be {ATTR_FILE} (needs a count "
        "line and an attribute-name line)."
    )
  names = lines[1].split()
  files, values = [], []
  for number, line in enumerate(lines[2:], start=3):
    fields = line.split()
    if not fields:
      continue
    if len(fields) != len(names) + 1:
      raise user_errors.InvalidValueError(
          f"{path}:{number}: expected a file name and "
          f"{len(names)} values, got {len(fields)} fields."
      )
    files.append(fields[0])
    values.append([int(v) for v in fields[1:]])
  return names, files, np.asarray(values, np.int8).reshape(-1, len(names))


def _read_partition(path: str) -> dict[str, int]:
  with open(path) as f:
    return {
        name: int(part)
        for name, part in (line.split() for line in f if line.strip())
    }


def stargan_split(files: Sequence[str]) -> dict[str, list[int]]:
  """Row indices of StarGAN's test (first 1,999 shuffled) and train lines."""
  order = list(range(len(files)))
  random.Random(STARGAN_SEED).shuffle(order)
  return {"test": order[:STARGAN_TEST_SIZE], "train": order[STARGAN_TEST_SIZE:]}


class CelebA:
  """Random-access CelebA records {"image", "attributes"} of one split.

  Attributes:
    attribute_names: the names, in the order of `record["attributes"]`.
    files: the image file names of this split, in record order.
  """

  def __init__(
      self,
      root: str,
      split: str,
      attributes: Sequence[str] | None = None,
      partition: str = "official",
  ):
    """Reads the annotation files of `root` (images are decoded on access).

    Args:
      root: directory holding img_align_celeba/ and the annotation files.
      split: "train", "validation" or "test" ("train"/"test" for stargan).
      attributes: attribute names to return, in this order; None = all 40.
      partition: "official" (list_eval_partition.txt) or "stargan".
    """
    self._root = root
    self._image_dir = _require(os.path.join(root, IMAGE_DIR), root)
    names, files, values = read_attributes(
        _require(os.path.join(root, ATTR_FILE), root)
    )
    if attributes is None:
      attributes = names
    unknown = [a for a in attributes if a not in names]
    if unknown:
      raise user_errors.InvalidValueError(
          f"Unknown CelebA attributes {unknown}; {ATTR_FILE} " f"has {names}."
      )
    columns = [names.index(a) for a in attributes]
    rows = self._split_rows(root, files, split, partition)
    self.attribute_names = list(attributes)
    self.files = [files[i] for i in rows]
    # -1 (absent) -> 0, +1 (present) -> 1.
    self._attributes = (
        values[np.asarray(rows, np.int64)][:, columns] > 0
    ).astype(np.int32)

  @staticmethod
  def _split_rows(
      root: str, files: list[str], split: str, partition: str
  ) -> list[int]:
    if partition == "stargan":
      splits = stargan_split(files)
      if split not in splits:
        raise user_errors.InvalidValueError(
            f"StarGAN partition has splits {sorted(splits)}, " f"got {split!r}."
        )
      return splits[split]
    if partition != "official":
      raise user_errors.InvalidValueError(
          f"Unknown CelebA partition {partition!r}; use "
          "'official' or 'stargan'."
      )
    if split not in _OFFICIAL_SPLITS:
      raise user_errors.InvalidValueError(
          f"Unknown CelebA split {split!r}; use one of "
          f"{list(_OFFICIAL_SPLITS)}."
      )
    parts = _read_partition(_require(os.path.join(root, PARTITION_FILE), root))
    missing = [f for f in files if f not in parts]
    if missing:
      raise user_errors.InvalidValueError(
          f"{PARTITION_FILE} lists no partition for "
          f"{len(missing)} files of {ATTR_FILE}, e.g. "
          f"{missing[:3]}."
      )
    wanted = _OFFICIAL_SPLITS[split]
    return [i for i, f in enumerate(files) if parts[f] == wanted]

  def __len__(self) -> int:
    return len(self.files)

  def __getitem__(self, index: int) -> dict[str, Any]:
    index = int(index)
    if not -len(self) <= index < len(self):
      raise IndexError(
          f"CelebA index {index} out of range for {len(self)} " "records."
      )
    path = _require(
        os.path.join(self._image_dir, self.files[index]), self._root
    )
    pixels = pp.decode_file(path, "RGB")  # corrupt: skipped and counted
    return {"image": pixels, "attributes": self._attributes[index].copy()}

  @property
  def attributes(self) -> np.ndarray:
    """All int32 [len, n_attr] labels of the split in {0, 1} (no decoding)."""
    return self._attributes
