"""Device mesh from config, regex partition rules, batch and state shardings.

The mesh has three named axes:
  data   - pure data parallelism (params replicated over it),
  fsdp   - data parallelism whose params/optimizer state are also sharded,
  tensor - model (tensor) parallelism inside a layer.
`config.mesh = {"data": -1, "fsdp": 1, "tensor": 1}`: -1 takes the devices the
other axes leave. Batches are sharded on their leading axis over
("data", "fsdp"). Params follow `config.partition_rules`: a list of
(regex over "role/a/b/kernel", spec) pairs, first match wins, where spec is a
tuple with one entry per array dim (an axis name, a tuple of names or None),
or the string "fsdp" meaning "shard the largest dim divisible by the fsdp axis".
Leaves no rule matches are replicated. A spec that does not fit a leaf (rank
or divisibility) falls back to replication, which is what optimizer state with
other shapes than its param (Adafactor's factored moments) needs.
"""

import math
import re
from typing import Any, Sequence

import jax
import ml_collections
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from jaxvision import user_errors

AXES = ("data", "fsdp", "tensor")
BATCH_AXES = ("data", "fsdp")


def make_mesh(
    mesh_cfg: ml_collections.ConfigDict | dict | None,
    devices: Sequence[jax.Device] | None = None,
) -> Mesh:
  """Builds the ("data", "fsdp", "tensor") mesh over all (or given) devices."""
  devices = list(devices if devices is not None else jax.devices())
  sizes = {axis: -1 if axis == "data" else 1 for axis in AXES}
  unknown = set(dict(mesh_cfg or {})) - set(AXES)
  if unknown:
    raise user_errors.InvalidValueError(
        f"Unknown mesh axes {sorted(unknown)}; valid: {AXES}."
    )
  sizes.update(dict(mesh_cfg or {}))
  fill = [a for a in AXES if sizes[a] == -1]
  if len(fill) > 1:
    raise user_errors.InvalidValueError(
        f"Only one mesh axis may be -1, got {fill}."
    )
  known = math.prod(s for s in sizes.values() if s != -1)
  if fill:
    if len(devices) % known:
      raise user_errors.InvalidValueError(
          f"Mesh axes {sizes} do not divide {len(devices)} " "devices."
      )
    sizes[fill[0]] = len(devices) // known
  if math.prod(sizes.values()) != len(devices):
    raise user_errors.InvalidValueError(
        f"Mesh {sizes} needs {math.prod(sizes.values())} devices, "
        f"but {len(devices)} are available."
    )
  shape = tuple(sizes[a] for a in AXES)
  # NOTE: Auto axes keep jit's sharding propagation (make_mesh's default is
  # Explicit, which changes the typing rules of every op).
  return jax.make_mesh(
      shape, AXES, (jax.sharding.AxisType.Auto,) * len(AXES), devices=devices
  )


def batch_sharding(mesh: Mesh) -> NamedSharding:
  """Leading (example) axis split over data and fsdp."""
  return NamedSharding(mesh, P(BATCH_AXES))


def batch_shards(mesh: Mesh) -> int:
  """How many pieces a batch is split into (data x fsdp)."""
  return math.prod(mesh.shape[a] for a in BATCH_AXES)


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def path_name(path) -> str:
  """'a/b/kernel' for a jax key path (dict keys, attributes, indices)."""
  parts = []
  for k in path:
    for attr in ("key", "name", "idx"):
      if hasattr(k, attr):
        parts.append(str(getattr(k, attr)))
        break
    else:
      parts.append(str(k))
  return "/".join(parts)


def _fits(spec: tuple, shape: tuple[int, ...], mesh: Mesh) -> bool:
  if len(spec) > len(shape):
    return False
  for dim, axes in zip(shape, spec):
    if axes is None:
      continue
    names = axes if isinstance(axes, tuple) else (axes,)
    if dim % math.prod(mesh.shape[a] for a in names):
      return False
  return True


def _fsdp_spec(shape: tuple[int, ...], mesh: Mesh) -> tuple:
  size = mesh.shape["fsdp"]
  if size == 1:
    return ()
  for dim in sorted(range(len(shape)), key=lambda d: -shape[d]):
    if shape[dim] % size == 0 and shape[dim] >= size:
      return tuple("fsdp" if d == dim else None for d in range(len(shape)))
  return ()


def spec_for(
    name: str, shape: tuple[int, ...], rules: Sequence[Any], mesh: Mesh
) -> P:
  """The PartitionSpec of one leaf: first matching rule that fits, else P()."""
  for pattern, spec in rules:
    if re.search(pattern, name):
      if spec == "fsdp":
        spec = _fsdp_spec(shape, mesh)
      spec = tuple(tuple(a) if isinstance(a, list) else a for a in spec)
      for axes in spec:
        for axis in (axes if isinstance(axes, tuple) else (axes,)):
          if axis is not None and axis not in AXES:
            raise user_errors.InvalidValueError(
                f"Partition rule {pattern!r} names unknown mesh "
                f"axis {axis!r}; valid: {AXES}."
            )
      return P(*spec) if _fits(spec, shape, mesh) else P()
  return P()


def tree_shardings(tree: Any, rules: Sequence[Any], mesh: Mesh) -> Any:
  """NamedShardings for every leaf of a (possibly abstract) pytree."""

  def leaf(path, x):
    return NamedSharding(
        mesh, spec_for(path_name(path), tuple(x.shape), rules, mesh)
    )

  return jax.tree_util.tree_map_with_path(leaf, tree)


def default_rules(config: ml_collections.ConfigDict) -> list[Any]:
  """Config rules, plus 'shard everything over fsdp' when fsdp > 1."""
  rules = [tuple(r) for r in config.get("partition_rules", [])]
  if dict(config.get("mesh", {})).get("fsdp", 1) != 1:
    rules.append((".*", "fsdp"))
  return rules
