"""Random-access data sources: TFDS array_record datasets by name and split.

`open(name, split, data_dir)` returns an object with `len()` and
`[i] -> dict of numpy` (a `tfds.data_source`) that `pipeline.make_iterator`
reads. Names of the synthetic family (`synthetic.BUILDERS`) are generated on
first use; any other name must already be prepared as array_record under
`data_dir` (a registered TFDS dataset, or a directory of TFDS files such as
`data_dir/my_set/1.0.0/`).

Image and Video features of real datasets are returned *encoded* (bytes), so
the pp op `decode` does the decoding: it can decode JPEGs at reduced size and
turns undecodable files into `pp.CorruptRecordError`, which the pipeline
skips and counts instead of crashing. A record that cannot be read from a
garbled or truncated array_record shard becomes a `pp.CorruptRecordError`
naming the shard file (`_NamedShards`), so it is skipped and counted too.

A `data_dir` that cannot be a folder, and a dataset that is not prepared, are
`user_errors.MissingInputError`s: one line saying what and how to fix it.
"""

import difflib
import os
import pathlib
from typing import Any, Protocol

import tensorflow_datasets as tfds

from jaxvision import user_errors
from jaxvision.data import pp
from jaxvision.data import synthetic

_ARRAY_RECORD = tfds.core.FileFormat.ARRAY_RECORD

# NOTE: `open` shadows the builtin inside this module; it is only called as
# `sources.open(...)` from outside, and this module opens no files itself.


class Source(Protocol):
  """What the pipelines need: a length and integer indexing."""

  def __len__(self) -> int:
    ...

  def __getitem__(self, index: int) -> dict[str, Any]:
    ...


def _prepare_hint(name: str, data_dir: str) -> str:
  return (
      f"Prepare it with `python -m jaxvision.main prepare-data "
      f"--dataset={name} --data_dir={data_dir}` (needs the optional "
      "TensorFlow extra and, for manual datasets such as imagenet2012, the "
      f"source archives in {data_dir}/downloads/manual), or copy an "
      f"already prepared TFDS directory to {data_dir}/{name}/<version>/ "
      "(file format array_record)."
  )


def _not_prepared(
    name: str, data_dir: str, expected: str
) -> user_errors.MissingInputError:
  return user_errors.MissingInputError(
      user_errors.message(
          f"dataset {name!r} is not prepared under {data_dir}",
          expected,
          "p" + _prepare_hint(name, data_dir)[1:],
      )
  )


def _check_data_dir(data_dir: str) -> None:
  """A data_dir at or below a regular file cannot hold datasets."""
  if "://" in data_dir:
    return
  for folder in (pathlib.Path(data_dir), *pathlib.Path(data_dir).parents):
    if folder.exists():
      if not folder.is_dir():
        raise user_errors.MissingInputError(
            user_errors.message(
                f"data_dir {data_dir} is not a folder: {folder} is a file",
                "data_dir",
                "point the config's data_dir at a folder",
            )
        )
      return


def _prepared_dir(name: str, data_dir: str) -> str | None:
  """`data_dir/<name>/<version>` holding dataset_info.json, if there is one."""
  base, _, version = name.partition(":")
  found = sorted(
      pathlib.Path(data_dir, base).glob(f"{version or '*'}/dataset_info.json")
  )
  return os.fspath(found[-1].parent) if found else None


def _tfds_builder(name: str, data_dir: str) -> tfds.core.DatasetBuilder:
  try:
    return tfds.builder(name, data_dir=data_dir)
  except tfds.core.registered.DatasetNotFoundError as e:
    known = [
        *synthetic.BUILDERS,
        *tfds.list_builders(with_community_datasets=False),
    ]
    close = difflib.get_close_matches(name.partition(":")[0], known, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise FileNotFoundError(
        f"Dataset {name!r} is neither a synthetic dataset "
        f"({sorted(synthetic.BUILDERS)}), a TFDS dataset nor a prepared "
        f"directory under {data_dir}.{hint} {_prepare_hint(name, data_dir)}"
    ) from e


def image_decoders(features: tfds.features.FeaturesDict) -> dict[str, Any]:
  """SkipDecoding for top-level Image/Video features (decoded by pp later)."""
  return {
      key: tfds.decode.SkipDecoding()
      for key, feature in features.items()
      if isinstance(feature, (tfds.features.Image, tfds.features.Video))
  }


def _split_source(
    builder: tfds.core.DatasetBuilder,
    split: str,
    decoders: dict[str, Any] | None,
) -> Source:
  """Opens `split` (TFDS slicing allowed) with clear errors for bad splits."""
  name = builder.info.name
  try:
    num_examples = builder.info.splits[split].num_examples
  except (ValueError, KeyError) as e:
    known = list(builder.info.splits.keys())
    close = difflib.get_close_matches(split.partition("[")[0], known, n=2)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise user_errors.InvalidValueError(
        f"Dataset {name!r} has no split {split!r} ({e}).{hint} "
        f"Splits: {known}; slices look like 'train[:90%]'."
    ) from e
  if num_examples == 0:
    raise user_errors.InvalidValueError(
        f"Split {split!r} of dataset {name!r} is empty; widen the "
        "slice or choose another split."
    )
  return builder.as_data_source(
      split=split, decoders=decoders or None, file_format=_ARRAY_RECORD
  )


def open(  # pylint: disable=redefined-builtin
    name: str, split: str, data_dir: str | None = None
) -> Source:
  """Opens split `split` of dataset `name` as a random-access source.

  Args:
    name: a synthetic member (built on first use, under a file lock) or a TFDS
      name, optionally with config/version ('imagenet2012:5.1.0').
    split: split name with optional TFDS slicing, e.g. 'train[:90%]'.
    data_dir: TFDS data dir; None means $TFDS_DATA_DIR or ~/tensorflow_datasets.

  Raises:
    FileNotFoundError: the dataset is not prepared there (says how to fix).
    ValueError: unknown or empty split, or not stored as array_record.
  """
  data_dir = os.fspath(data_dir or tfds.core.constants.DATA_DIR)
  _check_data_dir(data_dir)
  if name in synthetic.BUILDERS:
    return _NamedShards(
        _split_source(synthetic.build(name, data_dir), split, None)
    )
  try:
    builder = _tfds_builder(name, data_dir)
  except ModuleNotFoundError as e:
    # NOTE: TFDS's own builders (coco_captions, ...) import TensorFlow when
    # they are constructed; a prepared copy reads without it.
    prepared = _prepared_dir(name, data_dir)
    if prepared is None:
      raise _not_prepared(
          name,
          data_dir,
          os.path.join(
              data_dir, name.partition(":")[0], "<version>", "dataset_info.json"
          ),
      ) from e
    builder = tfds.builder_from_directory(prepared)
  if not builder.is_prepared():
    raise _not_prepared(name, data_dir, f"{builder.data_dir}/dataset_info.json")
  formats = [builder.info.file_format, *builder.info.alternative_file_formats]
  if _ARRAY_RECORD not in formats:
    raise user_errors.InvalidValueError(
        f"Dataset {name!r} in {builder.data_dir} is stored as "
        f"{[str(f) for f in formats]}, but random access needs array_record. "
        "Convert it in place with `tfds convert_format "
        f"--dataset_version_dir={builder.data_dir} "
        "--out_file_format=array_record` or re-prepare it."
    )
  return _NamedShards(
      _split_source(builder, split, image_decoders(builder.info.features))
  )


class _NamedShards:
  """A TFDS array_record source whose read errors name the shard file.

  array_record reports a garbled or truncated shard with a bare RuntimeError
  ("Corrupted Riegeli/records file ...") that names no file. Here it becomes
  a `pp.CorruptRecordError` naming the record and its shard, which the
  pipeline skips and counts (or raises, with `skip_corrupt=False`).
  """

  def __init__(self, source: Source):
    self._source = source

  def __len__(self) -> int:
    return len(self._source)

  def __getattr__(self, name: str) -> Any:
    if name == "_source":  # NOTE: while unpickling in a grain worker
      raise AttributeError(name)
    return getattr(self._source, name)

  def shard(self, index: int) -> str:
    """The shard file holding record `index` (the split's folder if unknown)."""
    # NOTE: array_record keeps its shard list private; no public accessor.
    inner = getattr(self._source, "data_source", None)
    start = 0
    for instruction in getattr(inner, "_read_instructions", None) or ():
      start += instruction.num_records
      if index < start:
        return instruction.filename
    return os.fspath(self._source.dataset_info.data_dir)

  def __getitem__(self, index: int) -> dict[str, Any]:
    try:
      return self._source[index]
    except RuntimeError as e:
      raise pp.CorruptRecordError(
          f"record {index} of {self.shard(index)} cannot be read ({e})"
      ) from e

  def __getitems__(self, indices: list[int]) -> list[dict[str, Any]]:
    try:
      return self._source.__getitems__(indices)
    except RuntimeError:
      return [self[i] for i in indices]  # raises naming the bad record


def prepare(name: str, data_dir: str | None = None) -> str:
  """Prepares dataset `name` as array_record (for `main.py prepare-data`).

  Synthetic members are generated; TFDS datasets run their TFDS builder,
  which needs TensorFlow for image encoding and, for manual datasets, the
  source files in `data_dir/downloads/manual`. Returns the dataset directory.
  """
  data_dir = os.fspath(data_dir or tfds.core.constants.DATA_DIR)
  if name in synthetic.BUILDERS:
    return os.fspath(synthetic.build(name, data_dir).data_dir)
  try:
    builder = _tfds_builder(name, data_dir)
    builder.download_and_prepare(file_format="array_record")
  except ModuleNotFoundError as e:
    # NOTE: TFDS needs `importlib_resources` (even on Python >= 3.9) and
    # TensorFlow to prepare its own datasets; neither is a runtime dependency.
    raise ModuleNotFoundError(
        f"Preparing TFDS dataset {name!r} needs the module {e.name!r}: "
        f"`pip install {e.name}` (preparing real datasets needs tensorflow and "
        "importlib_resources), or prepare it on another machine and copy "
        f"its folder to {data_dir}/{name.partition(':')[0]}/.",
        name=e.name,
    ) from e
  return os.fspath(builder.data_dir)


class InMemory:
  """A whole split read once into host memory (small datasets, smoke runs).

  TFDS array_record reads cost about a millisecond per record in Python;
  a cached split serves records in microseconds. Reads go in chunks through
  the source's batched `__getitems__` when it has one.
  """

  def __init__(self, source: Source, chunk: int = 1024):
    n = len(source)
    read = getattr(source, "__getitems__", None)
    self._records = []
    for start in range(0, n, chunk):
      indices = list(range(start, min(start + chunk, n)))
      self._records += read(indices) if read else [source[i] for i in indices]

  def __len__(self) -> int:
    return len(self._records)

  def __getitem__(self, index: int) -> dict[str, Any]:
    return self._records[index]


class ArraySource:
  """Records from a dict of equal-length arrays (procedural datasets).

  Methods whose smoke data is generated in NumPy wrap it here so it goes
  through the same grain pipeline (shuffling, per-host slices, resumable
  iterator state, eval padding) as a TFDS split.
  """

  def __init__(self, arrays: dict[str, Any]):
    lengths = {k: len(v) for k, v in arrays.items()}
    if not lengths or len(set(lengths.values())) != 1:
      raise ValueError(
          f"ArraySource needs arrays of one common length, got " f"{lengths}."
      )
    self._arrays = arrays
    self._n = next(iter(lengths.values()))

  def __len__(self) -> int:
    return self._n

  def __getitem__(self, index: int) -> dict[str, Any]:
    return {k: v[index] for k, v in self._arrays.items()}
