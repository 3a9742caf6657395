"""Grain input pipelines: deterministic, per-host sharded, resumable batches.

Training stream (`make_iterator`), as a chain of grain datasets:

  range(N) -> shuffle(seed; reshuffled every epoch) -> repeat(num_epochs)
    -> (epoch, record) -> [process_index::process_count]        # MapDataset
    -> load + pp with rng = default_rng((seed, epoch, record))  # MapDataset
    -> to_iter_dataset -> [mp_prefetch(worker_count)]
    -> skip/count corrupt records -> batch(per-host batch)      # main process

Every stage is a pure function of (seed, position), so the batches are the same
for any `worker_count` and after a resume from `get_state()` (a JSON-able dict).
Corrupt records are dropped in the main process after the workers, so which
records survive never depends on how work was split.

Evaluation (`make_eval_iterator`) reads every record of the split exactly once,
in order, pads the last batch and marks real examples in `mask`.

The methods' data modules call `host_iterator` / `host_eval_iterator`: the same
pipelines over this host's share, with the host arguments (process index and
count from the JAX runtime, worker count from the data config) filled in once
here instead of at every call site.
"""

from typing import Any, Callable, Mapping

from absl import flags
import grain
import jax
import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.data import pp

Batch = dict[str, np.ndarray]
PreprocessFn = Callable[[Mapping[str, Any], np.random.Generator], dict]

# Key of the marker dict that stands in for a record whose pp raised
# `pp.CorruptRecordError`; the value says which record and why.
_CORRUPT = "_corrupt_record"


class _Counter:
  """Corrupt records seen so far; shared by an iterator chain and its owner."""

  def __init__(self):
    self.value = 0


class DataIterator(grain.DatasetIterator):
  """Iterator over per-host batches (dicts of stacked numpy arrays).

  `num_corrupt` counts records that failed to decode and were skipped (train)
  or masked out (eval), for the train loop to log; it is part of the state, so
  it survives a resume. `get_state()` returns plain JSON types.
  """

  def __init__(self, parent: grain.DatasetIterator, counter: _Counter):
    super().__init__(parent)
    self._counter = counter

  @property
  def num_corrupt(self) -> int:
    return self._counter.value

  def __next__(self) -> Batch:
    return next(self._parent)

  def get_state(self) -> dict[str, Any]:
    return self._parent.get_state()

  def set_state(self, state: dict[str, Any]) -> None:
    self._parent.set_state(state)


class _Load:
  """Reads one record and preprocesses it with its own deterministic rng."""

  def __init__(self, source: Any, pp_fn: PreprocessFn, seed: int):
    self._source = source
    self._pp_fn = pp_fn
    self._seed = seed

  def __call__(self, epoch: int, record: int) -> dict[str, Any]:
    rng = np.random.default_rng((self._seed, epoch, record))
    try:
      return dict(self._pp_fn(self._source[record], rng))
    except pp.CorruptRecordError as e:
      return {_CORRUPT: f"record {record}: {e}"}


class _CorruptIterator(grain.DatasetIterator):
  """Counts corrupt-record markers and drops them (or swaps in padding).

  `limit` corrupt records in a row (as many as the source has) stop the
  stream: every record failing (a truncated lone shard) would otherwise make
  an endless stream skip forever.
  """

  def __init__(
      self,
      parent: grain.DatasetIterator,
      skip: bool,
      counter: _Counter,
      replacement: dict[str, Any] | None,
      limit: int,
  ):
    super().__init__(parent)
    self._skip = skip
    self._counter = counter
    self._replacement = replacement
    self._limit = limit

  def __next__(self) -> dict[str, Any]:
    in_a_row = 0
    while True:
      example = next(self._parent)
      if _CORRUPT not in example:
        return example
      if not self._skip:
        raise pp.CorruptRecordError(
            f"{example[_CORRUPT]}. Pass skip_corrupt=True (config "
            "data.skip_corrupt) to skip and count such records."
        )
      self._counter.value += 1
      in_a_row += 1
      if in_a_row >= self._limit:
        raise pp.CorruptRecordError(
            f"{in_a_row} records in a row are corrupt, the last one "
            f"{example[_CORRUPT]}. Check or re-prepare the data."
        )
      if self._replacement is not None:
        return dict(self._replacement)

  def get_state(self) -> dict[str, Any]:
    return {
        "pipeline": self._parent.get_state(),
        "num_corrupt": self._counter.value,
    }

  def set_state(self, state: dict[str, Any]) -> None:
    if not isinstance(state, dict) or set(state) != {"pipeline", "num_corrupt"}:
      raise ValueError(
          "Not a jaxvision data iterator state: expected a dict "
          "with keys ['num_corrupt', 'pipeline'] as returned by "
          f"DataIterator.get_state(), got {state!r}."
      )
    self._parent.set_state(state["pipeline"])
    self._counter.value = int(state["num_corrupt"])


class _HandleCorrupt(grain.IterDataset):
  """Runs in the main process, after any worker processes."""

  def __init__(
      self,
      parent: grain.IterDataset,
      skip: bool,
      counter: _Counter,
      replacement: dict[str, Any] | None,
      limit: int,
  ):
    super().__init__(parent)
    self._args = (skip, counter, replacement, limit)

  def __iter__(self) -> _CorruptIterator:
    return _CorruptIterator(self._parent.__iter__(), *self._args)


def _per_host(
    global_batch_size: int, process_index: int, process_count: int
) -> int:
  if process_count < 1 or not 0 <= process_index < process_count:
    raise ValueError(
        f"process_index={process_index} must be in "
        f"[0, process_count={process_count})."
    )
  if global_batch_size < 1 or global_batch_size % process_count:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"global batch size {global_batch_size} is not a positive multiple "
            f"of the {process_count} processes",
            "the stage's batch_size",
            f"use a multiple of {process_count}",
        )
    )
  return global_batch_size // process_count


def _check_source(source: Any) -> int:
  n = len(source)
  if n == 0:
    raise user_errors.InvalidValueError(
        user_errors.message(
            "the data source is empty",
            repr(source),
            "check the split name/slice and that the dataset was prepared",
        )
    )
  return n


def _workers(ds: grain.IterDataset, worker_count: int) -> grain.IterDataset:
  if worker_count < 0:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"worker_count={worker_count} is negative",
            "config.data.worker_count",
            "use 0 (read in this process) or a number of worker processes",
        )
    )
  if worker_count == 0:
    return ds
  # NOTE: grain's worker processes read absl flags; outside an absl app (tests,
  # notebooks) they are unparsed and every worker would crash on access.
  if not flags.FLAGS.is_parsed():
    flags.FLAGS.mark_as_parsed()
  return ds.mp_prefetch(grain.MultiprocessingOptions(num_workers=worker_count))


def make_iterator(
    source: Any,
    *,
    pp_fn: PreprocessFn,
    global_batch_size: int,
    seed: int,
    shuffle: bool = True,
    num_epochs: int | None = None,
    process_index: int = 0,
    process_count: int = 1,
    drop_remainder: bool = True,
    skip_corrupt: bool = True,
    worker_count: int = 0,
    read_options: grain.ReadOptions | None = None,
) -> DataIterator:
  """Training iterator over this host's share of a random-access source.

  Args:
    source: random-access source (`len`, `[i] -> dict of numpy`), e.g. from
      `sources.open`.
    pp_fn: `fn(example, rng) -> example`, e.g. `pp.build(...)`.
    global_batch_size: batch over all hosts; each host yields
      `global_batch_size // process_count` examples per batch.
    seed: shuffle seed (epoch e uses seed + e) and root of the per-example pp
      rng `default_rng((seed, epoch, record))`; in [0, 2**32).
    shuffle: shuffle records (differently every epoch).
    num_epochs: None repeats forever. With `drop_remainder`, a finite stream
      is cut to whole global batches so every host yields the same count.
    process_index, process_count: this host's slice `[index::count]` of the
      global stream (`jax.process_index()`, `jax.process_count()`).
    drop_remainder: drop a final partial batch (finite streams only).
    skip_corrupt: skip records whose pp raises `pp.CorruptRecordError` and
      count them in `num_corrupt`; False raises naming the record.
    worker_count: grain worker processes (0 = threads in this process).
    read_options: grain read threads/prefetch of the main process.

  Returns:
    A `DataIterator` of dicts of stacked numpy arrays.
  """
  per_host = _per_host(global_batch_size, process_index, process_count)
  n = _check_source(source)
  if not 0 <= seed < 2**32:
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"seed {seed} is outside [0, 2**32)",
            "config.seed",
            "use a seed in [0, 2**32)",
        )
    )
  records = grain.MapDataset.range(n)
  if shuffle:
    # NOTE: grain's shuffle reseeds with seed + epoch for indices >= n, which
    # is what repeat() passes through: a fresh permutation per epoch.
    records = records.shuffle(seed=seed)
  records = records.repeat(num_epochs)
  if num_epochs is not None and drop_remainder:
    whole = len(records) // global_batch_size * global_batch_size
    if whole == 0:
      raise user_errors.InvalidValueError(
          user_errors.message(
              f"{num_epochs} epoch(s) of {n} records is less than one global "
              f"batch of {global_batch_size}",
              "the stage's batch_size",
              "use a smaller batch or more epochs",
          )
      )
    records = records[:whole]
  positions = records.map_with_index(lambda i, record: (i // n, record))
  host = positions[process_index::process_count]
  load = _Load(source, pp_fn, seed)
  examples = host.map(lambda position: load(*position))
  ds = _workers(examples.to_iter_dataset(read_options), worker_count)
  counter = _Counter()
  ds = _HandleCorrupt(ds, skip_corrupt, counter, None, limit=n).batch(
      per_host, drop_remainder=drop_remainder
  )
  return DataIterator(ds.__iter__(), counter)


class _EvalLoad:
  """Loads slot j of host p (record p + j * P), or padding past the end."""

  def __init__(
      self,
      source: Any,
      pp_fn: PreprocessFn,
      process_index: int,
      process_count: int,
      mask_key: str,
  ):
    self._load = _Load(source, pp_fn, seed=0)
    self._n = len(source)
    self._first = process_index
    self._stride = process_count
    self._mask_key = mask_key
    self.padding = self._make_padding()

  def _make_padding(self) -> dict[str, Any]:
    """Zeros shaped like a processed example, with mask False."""
    for record in range(self._n):
      example = self._load(0, record)
      if _CORRUPT not in example:
        if self._mask_key in example:
          raise ValueError(
              f"pp output already has key {self._mask_key!r}; "
              "rename that feature or pass another mask_key."
          )
        padding = {k: np.zeros_like(v) for k, v in example.items()}
        return {**padding, self._mask_key: np.bool_(False)}
    raise user_errors.InvalidValueError(
        user_errors.message(
            "every record of the eval source failed to decode",
            f"{self._n} records",
            "check the eval split's files",
        )
    )

  def __call__(self, slot: int) -> dict[str, Any]:
    record = self._first + slot * self._stride
    if record >= self._n:
      return dict(self.padding)
    example = self._load(0, record)
    if _CORRUPT not in example:
      example[self._mask_key] = np.bool_(True)
    return example


def make_eval_iterator(
    source: Any,
    *,
    pp_fn: PreprocessFn,
    batch_size: int,
    process_index: int = 0,
    process_count: int = 1,
    skip_corrupt: bool = True,
    worker_count: int = 0,
    mask_key: str = "mask",
) -> DataIterator:
  """One in-order pass over the split, padded to whole batches.

  Host p gets records p, p + P, p + 2P, ... (P = process_count); every host
  yields ceil(N / batch_size) batches of `batch_size // P` so collective eval
  steps stay in lockstep. Each batch has a boolean `mask_key` (default 'mask'):
  True for real examples, False for padding and (with `skip_corrupt`) for
  corrupt records, which are also counted in `num_corrupt`. Summing metrics
  over `mask` counts every decodable example exactly once. The pp rng is
  `default_rng((0, 0, record))`.
  """
  per_host = _per_host(batch_size, process_index, process_count)
  n = _check_source(source)
  num_batches = -(-n // batch_size)
  load = _EvalLoad(source, pp_fn, process_index, process_count, mask_key)
  slots = grain.MapDataset.range(num_batches * per_host).map(load)
  ds = _workers(slots.to_iter_dataset(), worker_count)
  counter = _Counter()
  ds = _HandleCorrupt(
      ds, skip_corrupt, counter, replacement=load.padding, limit=n
  )
  return DataIterator(ds.batch(per_host).__iter__(), counter)


def _host_args(data_cfg: ml_collections.ConfigDict | None) -> dict[str, int]:
  """This host's slice of the stream and the configured grain workers."""
  workers = 0 if data_cfg is None else data_cfg.get("worker_count", 0)
  return dict(
      process_index=jax.process_index(),
      process_count=jax.process_count(),
      worker_count=workers,
  )


def host_iterator(
    source: Any,
    data_cfg: ml_collections.ConfigDict | None = None,
    **kwargs: Any,
) -> DataIterator:
  """`make_iterator` over this host's share of the global stream.

  Args:
    source: random-access source, as for `make_iterator`.
    data_cfg: the config's `data` section; its optional `worker_count` sets
      the grain worker processes (0 when absent or when no config is given).
    **kwargs: every other `make_iterator` argument (pp_fn, global_batch_size,
      seed, ...), but not the host arguments, which come from the JAX runtime.
  """
  return make_iterator(source, **_host_args(data_cfg), **kwargs)


def host_eval_iterator(
    source: Any,
    data_cfg: ml_collections.ConfigDict | None = None,
    **kwargs: Any,
) -> DataIterator:
  """`make_eval_iterator` over this host's records; arguments as in
  `host_iterator`."""
  return make_eval_iterator(source, **_host_args(data_cfg), **kwargs)
