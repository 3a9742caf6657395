"""AKD-GAN data: synthetic faces, oracle, test targets, c^pse, RaFD files."""

import ml_collections
import numpy as np
import pytest
from PIL import Image

from jaxvision.data import expressions
from jaxvision.methods.akd import data
from jaxvision.methods.akd import faces
from jaxvision.methods.akd import method


@pytest.mark.parametrize("size", [32, 16])
def test_oracle_is_exact_on_real_faces_and_sets_are_disjoint(size):
  train, test = faces.dataset(300, 1, size), faces.dataset(300, 2, size)
  for d in (train, test):
    assert d["image"].shape == (300, size, size, 3)
    np.testing.assert_array_equal(
        faces.oracle(d["image"] / 255.0), d["attributes"]
    )
  assert not np.array_equal(train["image"], test["image"])


def test_half_size_faces_have_the_same_layout():
  # Same seed, same random draws: the 16-px face is the 32-px face at half
  # scale (a 2x2 mean of the noise-free 32-px render is close to it).
  attrs = np.array([[1, 1, 1], [0, 0, 0]], np.int32)
  big = faces.render(attrs, np.random.default_rng(0), 32)
  small = faces.render(attrs, np.random.default_rng(0), 16)
  pooled = big.reshape(2, 16, 2, 16, 2, 3).mean((2, 4))
  assert np.mean(np.abs(pooled - small)) < 0.05
  with pytest.raises(ValueError, match="16, 32"):
    faces.render(attrs, np.random.default_rng(0), 24)


def test_flip_targets_hair_colours_are_exclusive():
  attrs = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]
  c_org = np.array([[1, 0, 0, 1, 0], [0, 0, 1, 0, 1]], np.float32)
  np.testing.assert_array_equal(
      data.flip_targets(c_org, attrs, 1), [[0, 1, 0, 1, 0], [0, 1, 0, 0, 1]]
  )
  np.testing.assert_array_equal(
      data.flip_targets(c_org, attrs, 0), [[1, 0, 0, 1, 0], [1, 0, 0, 0, 1]]
  )
  np.testing.assert_array_equal(
      data.flip_targets(c_org, attrs, 3), [[1, 0, 0, 0, 0], [0, 0, 1, 1, 1]]
  )
  np.testing.assert_array_equal(
      data.flip_targets(c_org, attrs, 3, "add_only")[:, 3], [1, 1]
  )
  # One hair colour alone is simply flipped.
  np.testing.assert_array_equal(
      data.flip_targets(np.array([[1, 0]]), ["Blond_Hair", "Male"], 0), [[0, 0]]
  )


def test_pseudo_teacher_labels():
  config = ml_collections.ConfigDict(
      dict(
          data=dict(attrs=["Brown_Hair", "Gray_Hair", "Bald"]),
          akd=dict(
              mode="pseudo",
              teacher_attrs=["Black_Hair", "Blond_Hair", "Wearing_Hat"],
              pair_map={
                  "Brown_Hair": "Black_Hair",
                  "Gray_Hair": "Black_Hair",
                  "Bald": "Wearing_Hat",
              },
          ),
      )
  )
  c_trg = np.array([[0, 1, 0], [0, 0, 1]], np.float32)
  teacher_gt = np.array([[0, 1, 1], [0, 1, 0]], np.float32)
  c = np.asarray(method.teacher_labels(config, c_trg, teacher_gt))
  # Many-to-one OR; a hair colour set to 1 clears the other hair colour.
  np.testing.assert_array_equal(c, [[1, 0, 0], [0, 1, 1]])


def test_rafd_raw_layout_splits_by_identity(tmp_path):
  for model in range(1, 11):
    for expression in ("happy", "sad"):
      name = f"Rafd090_{model:02d}_Caucasian_female_{expression}_frontal.jpg"
      Image.new("RGB", (8, 12), (model * 20, 0, 0)).save(tmp_path / name)
  train = expressions.RaFD(str(tmp_path), "train")
  test = expressions.RaFD(str(tmp_path), "test")
  assert len(train) == 18 and len(test) == 2
  record = test[0]
  assert record["image"].shape == (12, 8, 3)
  assert record["attributes"].sum() == 1
  assert expressions.EXPRESSIONS[int(record["label"])] in ("happy", "sad")
  with pytest.raises(FileNotFoundError, match="train,test"):
    expressions.RaFD(str(tmp_path / "missing"), "train")


def test_rafd_stargan_layout(tmp_path):
  (tmp_path / "test" / "angry").mkdir(parents=True)
  Image.new("RGB", (4, 4)).save(tmp_path / "test" / "angry" / "a.jpg")
  source = expressions.RaFD(str(tmp_path), "test")
  assert len(source) == 1 and int(source[0]["label"]) == 0
