"""Prefetch host batches to device on a background thread.

Each host-local numpy batch becomes one global `jax.Array` sharded over the
mesh's batch axes (`jax.make_array_from_process_local_data`), `size` batches
ahead of the train step, so input transfer overlaps compute. Every batch
carries the iterator state *after* it was produced: a checkpoint written after
consuming batch k stores exactly that state, however far the thread has run
ahead, so a resumed run sees the same next batch.
"""

import queue
import threading
from typing import Any, Iterator

import jax

from jaxvision.core import method as method_lib

_END = object()


class DevicePrefetcher:
  """Iterates (global batch, iterator state after it) pairs."""

  def __init__(
      self,
      iterator: method_lib.DataIterator,
      sharding: jax.sharding.NamedSharding,
      size: int = 2,
  ):
    self._iterator = iterator
    self._sharding = sharding
    self._queue: queue.Queue = queue.Queue(maxsize=size)
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, daemon=True)
    self._thread.start()

  def _to_device(self, batch: dict[str, Any]) -> dict[str, jax.Array]:
    return jax.tree.map(
        lambda x: jax.make_array_from_process_local_data(self._sharding, x),
        batch,
    )

  def _run(self) -> None:
    try:
      while not self._stop.is_set():
        try:
          batch = next(self._iterator)
        except StopIteration:
          self._put(_END)
          return
        state = self._iterator.get_state()
        self._put((self._to_device(batch), state))
    except BaseException as e:  # pylint: disable=broad-except
      # NOTE: re-raised in the consumer thread so errors (corrupt data,
      # shape problems) surface where the loop can report them.
      self._put(e)

  def _put(self, item: Any) -> None:
    while not self._stop.is_set():
      try:
        self._queue.put(item, timeout=0.1)
        return
      except queue.Full:
        continue

  def __iter__(self) -> Iterator[tuple[dict[str, jax.Array], dict[str, Any]]]:
    return self

  def __next__(self) -> tuple[dict[str, jax.Array], dict[str, Any]]:
    item = self._queue.get()
    if item is _END:
      raise StopIteration
    if isinstance(item, BaseException):
      raise item
    return item

  def close(self) -> None:
    self._stop.set()
    self._thread.join(timeout=5)
