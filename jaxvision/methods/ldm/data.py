"""Images + prompts to extract LDM features from.

`manifest`: a JSON list of {"image": path (relative to the manifest), "prompt":
  str} -- the layout the AIGI / PhraseCut-style test sets reduce to. Images
  are squashed (no crop) to `image_size`, as in the CLIPSeg test protocol.
`synthetic`: seeded coloured shapes on a gradient with prompts like "a red
  circle" (CPU checks; no files).
"""

import dataclasses
import functools
import json
import os
import pathlib

import ml_collections
import numpy as np
from PIL import Image

from jaxvision import user_errors
from jaxvision.data import registry
from jaxvision.data import synthetic_phrases
from jaxvision.models.sd import clip_tokenizer

COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (40, 70, 220),
    "yellow": (230, 210, 40),
}
SHAPES = ("circle", "square")


@dataclasses.dataclass(frozen=True)
class Example:
  image: np.ndarray  # float32 [S, S, 3] in [-1, 1]
  prompt: str


class Manifest:
  """Random access to a manifest's (image, prompt) pairs."""

  def __init__(self, path: str, image_size: int):
    path = pathlib.Path(path)
    if not path.is_file():
      raise FileNotFoundError(
          f"No manifest at {str(path)!r}: write a JSON list of "
          '{"image": "relative/path.jpg", "prompt": "..."} and set '
          "data.manifest to it."
      )
    with open(path, encoding="utf-8") as f:
      self.entries = json.load(f)
    bad = [
        i
        for i, e in enumerate(self.entries)
        if not isinstance(e, dict) or {"image", "prompt"} - set(e)
    ]
    if bad or not self.entries:
      raise user_errors.InvalidValueError(
          f"{str(path)!r}: entries {bad[:5] or 'none'} lack "
          "'image'/'prompt' (or the list is empty)."
      )
    self.root, self.size = path.parent, image_size

  def __len__(self) -> int:
    return len(self.entries)

  def __getitem__(self, i: int) -> Example:
    entry = self.entries[i]
    file = self.root / entry["image"]
    try:
      with Image.open(file) as image:
        image = image.convert("RGB").resize(
            (self.size, self.size), Image.BICUBIC
        )
    except (OSError, ValueError) as e:
      raise user_errors.InvalidValueError(
          f"Cannot read image {str(file)!r} (manifest entry {i}):" f" {e}"
      ) from e
    return Example(np.asarray(image, np.float32) / 127.5 - 1.0, entry["prompt"])


class Synthetic:
  """`size` seeded images with one or two shapes; the prompt names one."""

  def __init__(self, size: int, image_size: int, seed: int):
    self.n, self.image_size, self.seed = size, image_size, seed

  def __len__(self) -> int:
    return self.n

  def __getitem__(self, i: int) -> Example:
    rng = np.random.default_rng([self.seed, i])
    s = self.image_size
    ramp = np.linspace(0, 1, s, dtype=np.float32)[None, :, None]
    a, b = rng.uniform(0, 120, (2, 3)).astype(np.float32)
    image = np.broadcast_to(a + (b - a) * ramp, (s, s, 3)).copy()
    yy, xx = np.mgrid[:s, :s]
    names = []
    for _ in range(rng.integers(1, 3)):
      colour = list(COLOURS)[rng.integers(len(COLOURS))]
      shape = SHAPES[rng.integers(len(SHAPES))]
      r = rng.uniform(0.1, 0.2) * s
      cy, cx = rng.uniform(r, s - r, 2)
      if shape == "circle":
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
      else:
        mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
      image[mask] = COLOURS[colour]
      names.append(f"{colour} {shape}")
    return Example(image / 127.5 - 1.0, f"a {names[0]}")


# data.kind -> fn(data_cfg, image_size) -> the dataset.
KINDS = {
    "manifest": lambda d, size: Manifest(os.path.expanduser(d.manifest), size),
    "synthetic": lambda d, size: Synthetic(d.size, size, d.seed),
}


def load(data_cfg: ml_collections.ConfigDict, image_size: int):
  """The dataset a config's `data` section names."""
  build = registry.lookup(KINDS, data_cfg.kind, "config.data.kind")
  return build(data_cfg, image_size)


# `ldm.tokenizer: "builtin:<name>"` -> the words a word-level tokenizer is
# learned on, for tiny configs trained on procedural data.
BUILTIN_VOCABULARIES = {"shapes_phrase": synthetic_phrases.vocabulary}


@functools.lru_cache(maxsize=4)
def tokenizer(path: str, weights: str):
  """`ldm.tokenizer` (files, or "builtin:<name>" of BUILTIN_VOCABULARIES),
  else the one saved next to `ldm.weights`, else (no weights: random-init
  configs) the merge-free byte-level CLIP tokenizer."""
  if path.startswith("builtin:"):
    name = path.removeprefix("builtin:")
    if name not in BUILTIN_VOCABULARIES:
      raise user_errors.InvalidValueError(
          f"ldm.tokenizer={path!r}: built-in tokenizers are "
          f"{['builtin:' + n for n in BUILTIN_VOCABULARIES]}."
      )
    return clip_tokenizer.from_words(BUILTIN_VOCABULARIES[name]())
  if path:
    return clip_tokenizer.load(path)
  if weights:
    # NOTE: imported here: the weights module loads flax, and configs call
    # `tokenizer` for a vocabulary size.
    from jaxvision.weights import sd_v1  # pylint: disable=g-import-not-at-top

    found = sd_v1.find_tokenizer(weights)
    if found is None:
      raise FileNotFoundError(
          f"No tokenizer in ldm.weights={weights!r}: set ldm.tokenizer to "
          "bpe_simple_vocab_16e6.txt.gz or a folder with vocab.json + "
          "merges.txt."
      )
    return clip_tokenizer.load(found)
  return clip_tokenizer.bytes_only()


def config_tokenizer(ldm_cfg: ml_collections.ConfigDict):
  """`tokenizer` of an `ldm` config, checked against its text encoder: an id
  past the embedding table would be clamped silently by the lookup."""
  tok = tokenizer(ldm_cfg.tokenizer, ldm_cfg.weights)
  if tok.vocab_size > ldm_cfg.text.vocab_size:
    raise user_errors.InvalidValueError(
        f"The tokenizer ({ldm_cfg.tokenizer or 'byte-level'}) has "
        f"{tok.vocab_size} ids but ldm.text.vocab_size="
        f"{ldm_cfg.text.vocab_size}; set ldm.text.vocab_size to at least "
        f"{tok.vocab_size}."
    )
  return tok
