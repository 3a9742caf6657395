"""RECLIP evaluation figures: the confusion matrix counts right, PNGs open."""

import numpy as np
from PIL import Image

from jaxvision.methods.reclip import figures


def test_confusion_is_row_normalised_counts():
  matrix = figures.confusion(
      np.array([0, 0, 0, 1, 2]), np.array([0, 1, 1, 1, 0]), 3
  )
  np.testing.assert_allclose(matrix, [[1 / 3, 2 / 3, 0], [0, 1, 0], [1, 0, 0]])


def test_figures_are_written_only_with_a_workdir(tmp_path):
  assert figures.directory("", "lowres") is None
  out = figures.directory(str(tmp_path), "lowres")
  assert out == str(tmp_path / "figures" / "lowres")
  path = figures.save_confusion(
      f"{out}/c.png",
      np.array([0, 1]),
      np.array([1, 1]),
      ["red", "blue"],
      "colour",
  )
  assert Image.open(path).size[0] > 100
  images = np.random.default_rng(0).uniform(-1, 1, (3, 16, 16, 3))
  path = figures.save_retrieval_examples(
      f"{out}/r.png",
      images,
      ["a red circle"] * 3,
      ["a red circle", "a blue square", "a red circle"],
  )
  width, height = Image.open(path).size
  assert width > 3 * 100 and height > 100
