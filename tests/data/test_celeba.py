"""Tests for the original-folder CelebA source (jaxvision.data.celeba)."""

import os
import random

import numpy as np
import pytest
from PIL import Image

from jaxvision.data import celeba

NAMES = ["Black_Hair", "Blond_Hair", "Male", "Young"]
# file -> (attribute values, official partition)
ROWS = {
    "000001.jpg": ([1, -1, -1, 1], 0),
    "000002.jpg": ([-1, 1, 1, -1], 0),
    "000003.jpg": ([-1, -1, 1, 1], 1),
    "000004.jpg": ([1, -1, -1, -1], 2),
    "000005.jpg": ([-1, 1, -1, 1], 2),
}


def _write_celeba(root, rows=ROWS, partition=True):
  os.makedirs(root / celeba.IMAGE_DIR)
  lines = [str(len(rows)), " ".join(NAMES)]
  for i, (name, (values, _)) in enumerate(rows.items()):
    lines.append(name + "  " + " ".join(f"{v:2d}" for v in values))
    pixels = np.full(celeba.IMAGE_SHAPE, 40 * i, np.uint8)
    Image.fromarray(pixels).save(root / celeba.IMAGE_DIR / name, quality=100)
  (root / celeba.ATTR_FILE).write_text("\n".join(lines) + "\n")
  if partition:
    (root / celeba.PARTITION_FILE).write_text(
        "".join(f"{name} {part}\n" for name, (_, part) in rows.items())
    )


def test_official_splits_records_and_attribute_order(tmp_path):
  _write_celeba(tmp_path)
  train = celeba.CelebA(str(tmp_path), "train")
  assert train.files == ["000001.jpg", "000002.jpg"]
  assert train.attribute_names == NAMES
  record = train[1]
  assert record["image"].shape == (218, 178, 3)
  assert record["image"].dtype == np.uint8
  assert abs(int(record["image"].mean()) - 40) <= 2
  np.testing.assert_array_equal(record["attributes"], [0, 1, 1, 0])
  assert record["attributes"].dtype == np.int32

  test = celeba.CelebA(str(tmp_path), "test", attributes=["Young", "Male"])
  assert len(test) == 2 and test.attribute_names == ["Young", "Male"]
  np.testing.assert_array_equal(test.attributes, [[0, 0], [1, 0]])
  assert len(celeba.CelebA(str(tmp_path), "validation")) == 1


def test_stargan_split_matches_reference_shuffle(tmp_path):
  rows = {f"{i:06d}.jpg": ([1, -1, 1, -1], 0) for i in range(1, 2006)}
  names = list(rows)
  # StarGAN: lines = <attribute lines>; random.seed(1234);
  # random.shuffle(lines); test while (i + 1) < 2000.
  random.seed(1234)
  shuffled = list(names)
  random.shuffle(shuffled)
  splits = celeba.stargan_split(names)
  assert len(splits["test"]) == 1999
  assert [names[i] for i in splits["test"]] == shuffled[:1999]
  assert [names[i] for i in splits["train"]] == shuffled[1999:]
  # No partition file is needed for the StarGAN split (and no image is read).
  os.makedirs(tmp_path / celeba.IMAGE_DIR)
  (tmp_path / celeba.ATTR_FILE).write_text(
      f"{len(rows)}\n{' '.join(NAMES)}\n"
      + "".join(f"{n} 1 -1 1 -1\n" for n in names)
  )
  source = celeba.CelebA(str(tmp_path), "train", partition="stargan")
  assert source.files == shuffled[1999:]


def test_clear_errors(tmp_path):
  with pytest.raises(FileNotFoundError, match="list_attr_celeba.txt"):
    celeba.CelebA(str(tmp_path), "train")
  _write_celeba(tmp_path, partition=False)
  with pytest.raises(FileNotFoundError, match="list_eval_partition.txt"):
    celeba.CelebA(str(tmp_path), "train")
  with pytest.raises(ValueError, match="Unknown CelebA attributes"):
    celeba.CelebA(
        str(tmp_path), "train", attributes=["Bald"], partition="stargan"
    )
  with pytest.raises(ValueError, match="split"):
    celeba.CelebA(str(tmp_path), "val", partition="stargan")
  source = celeba.CelebA(str(tmp_path), "test", partition="stargan")
  os.remove(tmp_path / celeba.IMAGE_DIR / source.files[0])
  with pytest.raises(FileNotFoundError, match="img_align_celeba"):
    source[0]
