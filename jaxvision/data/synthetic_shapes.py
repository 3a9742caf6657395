"""Procedural renderer of one coloured shape on a noisy gray canvas.

Shared by the synthetic TFDS members in `synthetic.py` (the RECLIP smoke task of
specs/reclip.md §12 and small classifier sets). It is split into
`sample_scene` (attributes + geometry, a plain dataclass), `render` (pixels and
the object mask) and the caption writers, so new members can reuse the parts:
the mask is a free segmentation target, a per-pixel depth can be drawn from
the same geometry, and a clip is a list of scenes with moving centres.

Design of the "fill" attribute: striped objects alternate 1-px rows at
colour + 0.25 and colour - 0.25 with row parity fixed to the canvas (even rows
brighter). Colour channels are all in [0.3, 0.7], so no stripe value clips and a
2x2 area down-sample averages each stripe pair back to the solid colour exactly
(up to uint8 rounding), except where a 2x2 block straddles the object's edge.
Fill is therefore invisible at 16 px and visible at 32 px.
"""

import dataclasses
from typing import Sequence

import numpy as np

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "colour": ("red", "green", "blue", "yellow", "magenta", "cyan"),
    "shape": ("circle", "square", "triangle", "cross"),
    "size": ("small", "large"),
    "fill": ("solid", "striped"),
    "vpos": ("top", "bottom"),
    "hpos": ("left", "right"),
    "quadrant": ("top left", "top right", "bottom left", "bottom right"),
}
COLOURS_RGB = np.array(
    [
        [0.7, 0.3, 0.3],
        [0.3, 0.7, 0.3],
        [0.3, 0.3, 0.7],
        [0.7, 0.7, 0.3],
        [0.7, 0.3, 0.7],
        [0.3, 0.7, 0.7],
    ],
    dtype=np.float64,
)
RADII = (5.0, 9.0)  # small, large; in pixels of a 32-px canvas.
STRIPE_DELTA = 0.25
BACKGROUND = 0.5
NOISE_STD = 0.03
DROP_P = 0.3  # probability of dropping each attribute phrase in `caption`.
SYNONYM_P = 0.3  # probability of "box"/"ball" for square/circle.
SYNONYMS = {"square": "box", "circle": "ball"}
GENERIC_NOUNS = ("object", "shape")  # used when the shape word is dropped.
_LINK_WORDS = ("a", "an", "in", "the", "at", "on")
# Every word a caption can contain (for word-level tokenizers).
WORDS: tuple[str, ...] = tuple(
    sorted(
        {
            w
            for attr, values in ATTRIBUTES.items()
            if attr != "quadrant"
            for w in values
        }
        | set(SYNONYMS.values())
        | set(GENERIC_NOUNS)
        | set(_LINK_WORDS)
    )
)


@dataclasses.dataclass(frozen=True)
class Scene:
  """Attribute indices into `ATTRIBUTES` plus geometry on a 32-px canvas."""

  colour: int
  shape: int
  size: int
  fill: int
  vpos: int
  hpos: int
  centre_y: float
  centre_x: float

  @property
  def quadrant(self) -> int:
    """Index into ATTRIBUTES['quadrant']: 2 * vpos + hpos."""
    return 2 * self.vpos + self.hpos

  @property
  def radius(self) -> float:
    return RADII[self.size]

  def labels(self) -> dict[str, int]:
    """Integer label of every attribute, keyed like ATTRIBUTES."""
    return {name: getattr(self, name) for name in ATTRIBUTES}


def sample_scene(rng: np.random.Generator) -> Scene:
  """Draws attributes uniformly; the centre lies inside the chosen quadrant.

  The centre's distance from the near canvas edges is uniform in
  [r, 16 - r / 2], so the object stays on the canvas and its centre in its
  quadrant (a large object may overlap the midline by a few pixels).
  """
  names = ("colour", "shape", "size", "fill", "vpos", "hpos")
  draws = rng.integers([len(ATTRIBUTES[name]) for name in names])
  draw = dict(zip(names, draws.tolist()))
  r = RADII[draw["size"]]
  near_y, near_x = rng.uniform(r, 16.0 - r / 2, size=2).tolist()
  return Scene(
      **draw,
      centre_y=near_y if draw["vpos"] == 0 else 32 - near_y,
      centre_x=near_x if draw["hpos"] == 0 else 32 - near_x,
  )


def _mask(name: str, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
  """Mask of shape `name` from offsets normalised by the radius (dy down)."""
  if name == "circle":
    return dx**2 + dy**2 <= 1.0
  if name == "square":
    return np.maximum(np.abs(dx), np.abs(dy)) <= 0.8
  if name == "triangle":  # apex up at dy = -1, base at dy = 0.7.
    return (dy <= 0.7) & (np.abs(dx) <= (dy + 1.0) / 1.7)
  arm = 1.0 / 3.0  # cross: two bars of half-width r / 3.
  return ((np.abs(dx) <= arm) & (np.abs(dy) <= 1.0)) | (
      (np.abs(dy) <= arm) & (np.abs(dx) <= 1.0)
  )


def shape_masks(scenes: Sequence[Scene], canvas: int = 32) -> np.ndarray:
  """Boolean (K, canvas, canvas) object masks, tested at pixel centres."""
  scale = canvas / 32
  centres = np.arange(canvas, dtype=np.float32) + 0.5
  masks = np.zeros((len(scenes), canvas, canvas), dtype=bool)
  shapes = np.array([s.shape for s in scenes])
  for index, name in enumerate(ATTRIBUTES["shape"]):
    group = np.flatnonzero(shapes == index)
    if not group.size:
      continue
    cy, cx, r = (
        np.array([[getattr(scenes[i], a) for i in group]], dtype=np.float32).T
        * scale
        for a in ("centre_y", "centre_x", "radius")
    )
    dy = (centres[None, :] - cy) / r
    dx = (centres[None, :] - cx) / r
    masks[group] = _mask(name, dy[:, :, None], dx[:, None, :])
  return masks


def render_batch(
    scenes: Sequence[Scene], rng: np.random.Generator, canvas: int = 32
) -> tuple[np.ndarray, np.ndarray]:
  """Renders K scenes: (uint8 images (K, canvas, canvas, 3), bool masks).

  The background is gray 0.5 plus per-pixel N(0, 0.03) noise (the same for all
  channels, so it stays gray); the object is flat or striped, noise-free.
  """
  masks = shape_masks(scenes, canvas)
  noise = rng.standard_normal(
      (len(scenes), canvas, canvas, 1), dtype=np.float32
  )
  background = np.clip(
      np.round(BACKGROUND * 255 + NOISE_STD * 255 * noise), 0, 255
  ).astype(np.uint8)
  colours = COLOURS_RGB[[s.colour for s in scenes]][:, None, None, :]
  striped = np.array([ATTRIBUTES["fill"][s.fill] == "striped" for s in scenes])
  sign = np.where(np.arange(canvas) % 2 == 0, 1.0, -1.0)
  rows = colours + (
      STRIPE_DELTA * striped[:, None, None, None] * sign[None, :, None, None]
  )
  rows = np.round(rows * 255).astype(np.uint8)  # values stay inside [0, 1].
  return np.where(masks[..., None], rows, background), masks


def render(
    scene: Scene, rng: np.random.Generator, canvas: int = 32
) -> tuple[np.ndarray, np.ndarray]:
  """Renders one scene: (uint8 image (canvas, canvas, 3), bool mask)."""
  images, masks = render_batch([scene], rng, canvas)
  return images[0], masks[0]


def _with_article(words: list[str]) -> str:
  article = "an" if words[0][0] in "aeiou" else "a"
  return " ".join([article, *words])


def caption_full(scene: Scene) -> str:
  """All attributes in canonical words.

  E.g. 'a small striped red circle in the top left'.
  """
  words = [
      ATTRIBUTES[attr][getattr(scene, attr)]
      for attr in ("size", "fill", "colour", "shape")
  ]
  return _with_article(
      [
          *words,
          "in",
          "the",
          ATTRIBUTES["vpos"][scene.vpos],
          ATTRIBUTES["hpos"][scene.hpos],
      ]
  )


def caption(scene: Scene, rng: np.random.Generator) -> str:
  """Training caption: each attribute phrase dropped with p = DROP_P.

  A dropped shape becomes 'object' or 'shape'; square/circle become box/ball
  with p = SYNONYM_P; the location reads 'in the top left', 'at the top',
  'on the left' or is absent. So partial zero-shot prompts such as
  'a red object' are in-distribution.
  """
  words = [
      ATTRIBUTES[attr][getattr(scene, attr)]
      for attr in ("size", "fill", "colour")
      if rng.random() >= DROP_P
  ]
  shape = ATTRIBUTES["shape"][scene.shape]
  if rng.random() < DROP_P:
    shape = GENERIC_NOUNS[int(rng.integers(len(GENERIC_NOUNS)))]
  elif shape in SYNONYMS and rng.random() < SYNONYM_P:
    shape = SYNONYMS[shape]
  words.append(shape)
  vpos = ATTRIBUTES["vpos"][scene.vpos] if rng.random() >= DROP_P else None
  hpos = ATTRIBUTES["hpos"][scene.hpos] if rng.random() >= DROP_P else None
  if vpos and hpos:
    words += ["in", "the", vpos, hpos]
  elif vpos:
    words += ["at", "the", vpos]
  elif hpos:
    words += ["on", "the", hpos]
  return _with_article(words)
