"""ShapesPhrase: procedural phrase-segmentation data (LD-ZNet smoke task).

Each 64x64 image has a smooth two-colour gradient background with noise and
2-4 non-overlapping shapes (circle, square, triangle; red, green, blue,
yellow; 10-20 px). The phrase names a colour ("red"), a shape ("circles") or
both ("red square"); its mask is the union of *all* matching shapes, so
prompts can be multi-instance like PhraseCut's stuff classes. Only phrases
with at least one match are drawn. `caption` lists every shape ("a red
circle and a blue square"), for pre-training the tiny LDM.
"""

import functools

import numpy as np

COLOURS = {
    "red": (200, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 70, 210),
    "yellow": (220, 200, 40),
}
SHAPES = ("circle", "square", "triangle")
PLURALS = {"circle": "circles", "square": "squares", "triangle": "triangles"}
TEMPLATES = ("a photo of a {}.", "{}.", "an image of the {}.")


def _shape_mask(
    shape: str, cy: float, cx: float, size: float, canvas: int
) -> np.ndarray:
  y, x = np.mgrid[:canvas, :canvas] + 0.5
  dy, dx, half = y - cy, x - cx, size / 2
  if shape == "circle":
    return dy**2 + dx**2 <= half**2
  if shape == "square":
    return (np.abs(dy) <= half) & (np.abs(dx) <= half)
  # Upward triangle: inside the bounding box, below both slanted edges.
  return (dy <= half) & (dy >= -half) & (np.abs(dx) <= (dy + half) / 2)


def _background(rng: np.random.Generator, canvas: int) -> np.ndarray:
  a, b = rng.uniform(60, 200, (2, 3))
  angle = rng.uniform(0, 2 * np.pi)
  y, x = np.mgrid[:canvas, :canvas] / (canvas - 1)
  w = np.cos(angle) * x + np.sin(angle) * y
  w = (w - w.min()) / max(w.max() - w.min(), 1e-6)
  image = a + (b - a) * w[..., None]
  return image + rng.normal(0, 6, image.shape)


def _sample(rng: np.random.Generator, canvas: int):
  """One image, its shapes [(colour, shape, mask)], phrase and mask."""
  image = _background(rng, canvas)
  occupied = np.zeros((canvas, canvas), bool)
  placed = []
  for _ in range(int(rng.integers(2, 5))):
    for _ in range(50):  # rejection sampling for non-overlapping shapes
      size = rng.uniform(10, 20)
      cy, cx = rng.uniform(size / 2 + 1, canvas - size / 2 - 1, 2)
      shape = SHAPES[rng.integers(len(SHAPES))]
      mask = _shape_mask(shape, cy, cx, size, canvas)
      if not (mask & occupied).any():
        colour = list(COLOURS)[rng.integers(len(COLOURS))]
        placed.append((colour, shape, mask))
        occupied |= mask
        image[mask] = COLOURS[colour]
        break
  colour, shape, _ = placed[rng.integers(len(placed))]
  kind = rng.integers(3)
  if kind == 0:
    phrase, match = colour, [c == colour for c, _, _ in placed]
  elif kind == 1:
    phrase, match = PLURALS[shape], [s == shape for _, s, _ in placed]
  else:
    phrase = f"{colour} {shape}"
    match = [c == colour and s == shape for c, s, _ in placed]
  target = np.zeros((canvas, canvas), bool)
  for (_, _, mask), hit in zip(placed, match):
    target |= mask & hit
  caption = " and ".join(f"a {c} {s}" for c, s, _ in placed)
  return np.clip(image, 0, 255).astype(np.uint8), target, phrase, caption


@functools.lru_cache(maxsize=4)
def generate(num: int, seed: int, canvas: int = 64) -> dict[str, np.ndarray]:
  """`num` examples from `seed` (train and test use different seeds).

  Returns arrays: image uint8 (N, C, C, 3), mask uint8 (N, C, C), phrase and
  caption (object arrays of str). Cached: callers must not modify them.
  """
  rng = np.random.default_rng(seed)
  images, masks, phrases, captions = [], [], [], []
  for _ in range(num):
    image, mask, phrase, caption = _sample(rng, canvas)
    images.append(image)
    masks.append(mask)
    phrases.append(phrase)
    captions.append(caption)
  out = {
      "image": np.stack(images),
      "mask": np.stack(masks).astype(np.uint8),
      "phrase": np.array(phrases, object),
      "caption": np.array(captions, object),
  }
  for array in out.values():
    array.setflags(write=False)
  return out


def vocabulary() -> list[str]:
  """Every word of phrases, captions and templates (for tiny tokenizers)."""
  words = set(COLOURS) | set(SHAPES) | set(PLURALS.values()) | {"a", "and"}
  for template in TEMPLATES:
    words |= set(template.replace("{}", "").replace(".", " ").split())
  return sorted(words)
