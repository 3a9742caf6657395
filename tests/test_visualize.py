"""PNG helpers write what they are given."""

import numpy as np
import pytest
from PIL import Image

from jaxvision import visualize


def test_colorize_depth_overlay_grid_and_save(tmp_path):
  depth = np.linspace(1, 10, 12).reshape(3, 4)
  rgb = visualize.depth_to_rgb(depth)
  assert rgb.shape == (3, 4, 3) and rgb.dtype == np.uint8
  # Near (small depth) is brighter than far with the default colour map.
  assert rgb[0, 0].sum() > rgb[-1, -1].sum()
  image = np.zeros((3, 4, 3), np.uint8)
  tinted = visualize.overlay(image, np.eye(3, 4), colour=(200, 0, 0), alpha=0.5)
  assert tinted[0, 0, 0] == 100 and tinted[0, 1, 0] == 0
  tiled = visualize.grid([rgb, tinted, rgb], columns=2, pad=1)
  assert tiled.shape == (2 * 4 + 1, 2 * 5 + 1, 3)
  path = visualize.save_png(str(tmp_path / "a" / "grid.png"), tiled)
  np.testing.assert_array_equal(np.asarray(Image.open(path)), tiled)
  with pytest.raises(ValueError, match="needs uint8"):
    visualize.save_png(str(tmp_path / "x.png"), depth)


def test_table_png(tmp_path):
  path = visualize.table_png(
      str(tmp_path / "cm.png"),
      np.eye(2),
      ["a", "b"],
      ["x", "y"],
      title="confusion",
  )
  assert Image.open(path).size[0] > 50
  with pytest.raises(ValueError, match="do not match"):
    visualize.table_png(str(tmp_path / "bad.png"), np.eye(2), ["a"], ["x"])
