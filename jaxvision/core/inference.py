"""Batched inference on this host's devices, for evaluators and `predict`.

Evaluation loops run a jitted function over host-local numpy batches. The
params are gathered to every host (so each host can evaluate a whole split
with exact metrics and no cross-host reductions) and replicated over a local
data-parallel mesh; each batch is padded to a multiple of the local device
count, sharded over it, and the result is cut back and returned as numpy.
"""

from typing import Any, Callable

import jax
from jax.experimental import multihost_utils
import numpy as np


class Replicated:
  """Params replicated on the local devices, and jitted functions of them."""

  def __init__(self, params: Any):
    if jax.process_count() > 1:
      params = multihost_utils.process_allgather(params, tiled=True)
    self.mesh = jax.sharding.Mesh(np.array(jax.local_devices()), ("data",))
    self._batch = jax.sharding.NamedSharding(
        self.mesh, jax.sharding.PartitionSpec("data")
    )
    self.params = jax.device_put(
        params,
        jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec()),
    )

  def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn(params, *batch_arrays)` as `run(*numpy_arrays) -> numpy pytree`.

    Every argument shares the leading batch axis; the outputs must too.
    """
    compiled = jax.jit(fn)
    devices = len(self.mesh.devices)

    def run(*arrays):
      n = len(arrays[0])
      pad = -n % devices
      if pad:
        arrays = [
            np.concatenate([a, np.repeat(a[-1:], pad, axis=0)]) for a in arrays
        ]
      out = compiled(
          self.params,
          *[jax.device_put(np.asarray(a), self._batch) for a in arrays],
      )
      return jax.tree.map(lambda x: np.asarray(x)[:n], out)

    return run
