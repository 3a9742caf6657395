"""Synthetic TFDS datasets, generated locally in seconds ("embedded default").

Smoke configs and tests train on these instead of downloads. Each member is a
TFDS `GeneratorBasedBuilder` written as `array_record` with only Tensor / Text /
Scalar features (no TensorFlow needed), so it is read exactly like a real
dataset: `sources.open(name, split, data_dir)` (which calls `build` on first
use) -> `pipeline.make_iterator`.

Members (`BUILDERS`):
  shapes_captions: RECLIP CPU smoke task (specs/reclip.md §12). `image` uint8
    (32, 32, 3); `caption` (attribute phrases dropped, synonyms),
    `caption_full` (all attributes); int labels colour, shape, size, fill,
    vpos, hpos, quadrant (see `SHAPES_CAPTIONS_ATTRIBUTES`). train 20,000 /
    test 1,000.
  shapes_classes: `image` + `label` = shape class (`SHAPES_CLASSES_NAMES`), a
    4-way toy classification set. train 4,000 / test 1,000.

Images are stored raw (uint8 tensors); the pp op `decode` passes them through,
so the same pp strings work for these and for JPEG-encoded real datasets.
Splits use disjoint seeds; generation is deterministic.
"""

import abc
import contextlib
import difflib
import fcntl
import os
from typing import Any, Iterator, Mapping

import numpy as np
import tensorflow_datasets as tfds

from jaxvision import user_errors
from jaxvision.data import synthetic_shapes

SHAPES_CAPTIONS_ATTRIBUTES = synthetic_shapes.ATTRIBUTES
SHAPES_CAPTIONS_WORDS = synthetic_shapes.WORDS
SHAPES_CLASSES_NAMES = synthetic_shapes.ATTRIBUTES["shape"]

_SPLIT_SEEDS = {"train": 0, "test": 1}
_CHUNK = 1000  # examples rendered per numpy batch.


def _image() -> tfds.features.Tensor:
  # Raw bytes: much faster to write than TFDS's default int64 list encoding.
  return tfds.features.Tensor(
      shape=(32, 32, 3), dtype=np.uint8, encoding=tfds.features.Encoding.BYTES
  )


def _label() -> tfds.features.Scalar:
  return tfds.features.Scalar(dtype=np.int64)


class _ShapesBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """Base of the shapes family: split sizes overridable, seeded generation."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release."}
  SPLIT_SIZES: Mapping[str, int] = {}
  SEED = 0  # distinct per member so members do not share scenes.
  # NOTE: TFDS derives `code_path` (only used to find download checksums) via
  # the `importlib_resources` backport, which is not installed on Python >= 3.9
  # and crashes `download_and_prepare`; these builders download nothing.
  code_path = None

  def __init__(
      self, *, split_sizes: Mapping[str, int] | None = None, **kwargs: Any
  ):
    """`split_sizes` overrides SPLIT_SIZES; kwargs go to the TFDS builder."""
    # NOTE: TFDS re-creates builders with extra kwargs (e.g. `config`) when a
    # data source is unpickled in a grain worker; pass them through.
    self._split_sizes = {**self.SPLIT_SIZES, **(split_sizes or {})}
    super().__init__(**kwargs)

  @abc.abstractmethod
  def _features(self) -> dict[str, tfds.features.FeatureConnector]:
    """The member's feature connectors."""

  @abc.abstractmethod
  def _examples(
      self, rng: np.random.Generator, count: int
  ) -> list[dict[str, Any]]:
    """`count` examples drawn from `rng` (rendered as one numpy batch)."""

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=self.__doc__,
        features=tfds.features.FeaturesDict(self._features()),
    )

  # NOTE: TFDS's own messages say "Downloading and preparing dataset" and
  # "downloaded": these builders only generate, so they say that instead.
  def _log_download_bytes(self) -> None:
    print(
        f"Generating dataset {self.name} locally (nothing is downloaded) "
        f"into {self.data_dir}...",
        flush=True,
    )

  def _log_download_done(self) -> None:
    print(f"Dataset {self.name} generated in {self.data_dir}.", flush=True)

  def _split_generators(self, dl_manager: Any) -> dict[str, Iterator]:
    del dl_manager  # nothing is downloaded.
    return {
        split: self._generate_examples(split, num)
        for split, num in self._split_sizes.items()
    }

  def _generate_examples(
      self, split: str, num: int
  ) -> Iterator[tuple[int, dict[str, Any]]]:
    rng = np.random.default_rng((self.SEED, _SPLIT_SEEDS[split]))
    for start in range(0, num, _CHUNK):
      for offset, example in enumerate(
          self._examples(rng, min(_CHUNK, num - start))
      ):
        yield start + offset, example


class ShapesCaptions(_ShapesBuilder, skip_registration=True):
  """Image-caption pairs of one shape with colour/shape/size/fill/position."""

  SPLIT_SIZES = {"train": 20_000, "test": 1_000}
  SEED = 1

  def _features(self) -> dict[str, tfds.features.FeatureConnector]:
    labels = {name: _label() for name in SHAPES_CAPTIONS_ATTRIBUTES}
    return {
        "image": _image(),
        "caption": tfds.features.Text(),
        "caption_full": tfds.features.Text(),
        **labels,
    }

  def _examples(
      self, rng: np.random.Generator, count: int
  ) -> list[dict[str, Any]]:
    scenes = [synthetic_shapes.sample_scene(rng) for _ in range(count)]
    images, _ = synthetic_shapes.render_batch(scenes, rng)
    return [
        {
            "image": image,
            "caption": synthetic_shapes.caption(scene, rng),
            "caption_full": synthetic_shapes.caption_full(scene),
            **scene.labels(),
        }
        for scene, image in zip(scenes, images)
    ]


class ShapesClasses(_ShapesBuilder, skip_registration=True):
  """Images of one shape labelled with the shape class (4-way)."""

  SPLIT_SIZES = {"train": 4_000, "test": 1_000}
  SEED = 2

  def _features(self) -> dict[str, tfds.features.FeatureConnector]:
    return {"image": _image(), "label": _label()}

  def _examples(
      self, rng: np.random.Generator, count: int
  ) -> list[dict[str, Any]]:
    scenes = [synthetic_shapes.sample_scene(rng) for _ in range(count)]
    images, _ = synthetic_shapes.render_batch(scenes, rng)
    return [
        {"image": image, "label": scene.shape}
        for scene, image in zip(scenes, images)
    ]


BUILDERS: dict[str, type[_ShapesBuilder]] = {
    "shapes_captions": ShapesCaptions,
    "shapes_classes": ShapesClasses,
}


def builder_class(name: str) -> type[_ShapesBuilder]:
  """The builder class of a synthetic member, with a did-you-mean error."""
  if name not in BUILDERS:
    close = difflib.get_close_matches(name, BUILDERS, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise user_errors.InvalidValueError(
        f"Unknown synthetic dataset {name!r}.{hint} Known: "
        f"{sorted(BUILDERS)}."
    )
  return BUILDERS[name]


@contextlib.contextmanager
def _build_lock(data_dir: str, name: str) -> Iterator[None]:
  """Exclusive file lock so concurrent processes build a member only once."""
  if "://" in data_dir:
    # NOTE: no flock on object stores; builds are deterministic, so racing
    # hosts write identical files (TFDS renames a finished temp dir into place).
    yield
    return
  os.makedirs(data_dir, exist_ok=True)
  with open(os.path.join(data_dir, f".{name}.build.lock"), "w") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(f, fcntl.LOCK_UN)


def build(
    name: str,
    data_dir: str | None = None,
    *,
    num_train: int | None = None,
    num_test: int | None = None,
) -> tfds.core.DatasetBuilder:
  """Builds member `name` under `data_dir` unless it is already there.

  Args:
    name: a key of `BUILDERS`.
    data_dir: TFDS data dir; None means TFDS's default ($TFDS_DATA_DIR or
      ~/tensorflow_datasets).
    num_train, num_test: split sizes for a new build (tests use small ones);
      None keeps the member's default. If the member already exists with other
      sizes, that is an error (use a fresh data_dir).

  Returns:
    The prepared builder (`.as_data_source(split)` reads it).
  """
  cls = builder_class(name)
  requested = {
      split: num
      for split, num in (("train", num_train), ("test", num_test))
      if num is not None
  }
  for split, num in requested.items():
    if not isinstance(num, int) or num < 1:
      raise user_errors.InvalidValueError(
          f"num_{split} must be a positive int, got {num!r}."
      )
  data_dir = os.fspath(data_dir or tfds.core.constants.DATA_DIR)
  with _build_lock(data_dir, name):
    builder = cls(data_dir=data_dir, split_sizes=requested)
    if not builder.is_prepared():
      builder.download_and_prepare(file_format="array_record")
      return builder
  stored = {
      split: builder.info.splits[split].num_examples
      for split in builder.info.splits
  }
  wrong = {s: n for s, n in requested.items() if stored.get(s) != n}
  if wrong:
    raise user_errors.InvalidValueError(
        f"Synthetic dataset {name!r} in {builder.data_dir} has "
        f"split sizes {stored}, not the requested {wrong}. Use "
        "another data_dir or delete that directory."
    )
  return builder
