"""The headless z-buffer mesh rasteriser."""

import numpy as np
import pytest
from PIL import Image

from jaxvision import render


def test_nearer_triangle_wins_and_png_is_written(tmp_path):
  # A big far triangle facing the light, and a small tilted (so darker)
  # one nearer the viewer in front of its centre.
  verts = np.array(
      [
          [-1, -1, 0],
          [1, -1, 0],
          [0, 1, 0],
          [-0.2, -0.2, 1],
          [0.2, -0.2, 1],
          [0, 0.2, 1.4],
      ],
      float,
  )
  faces = np.array([[0, 1, 2], [3, 4, 5]])
  colors = {}
  for order in ([0, 1], [1, 0]):
    image = render.render_mesh(
        verts, faces[order], size=32, color=(1, 0, 0), light=(0, 0, 1)
    )
    colors[tuple(order)] = image
  # The depth test decides coverage, independent of drawing order.
  np.testing.assert_array_equal(colors[(0, 1)], colors[(1, 0)])
  image = colors[(0, 1)]
  assert image.shape == (32, 32, 3) and image.dtype == np.uint8
  assert tuple(image[0, 0]) == (255, 255, 255)  # background corner
  assert tuple(image[26, 16]) == (255, 0, 0)  # far triangle, lit head-on
  assert 0 < image[15, 16, 0] < 255 and image[15, 16, 1] == 0  # near one
  path = render.save_mesh_png(str(tmp_path / "m.png"), verts, faces, size=24)
  assert Image.open(path).size == (24, 24)


def test_bad_input():
  with pytest.raises(ValueError, match="faces"):
    render.render_mesh(np.zeros((3, 3)), np.array([[0, 1, 5]]))
  with pytest.raises(ValueError, match="vertices"):
    render.render_mesh(np.zeros((3, 2)), np.array([[0, 1, 2]]))
