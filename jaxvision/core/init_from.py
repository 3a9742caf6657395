"""`init_from`: start a run from another run's checkpoint, role by role.

`config.init_from = {"workdir": DIR, "step": None (newest), "roles": None
(all roles found), "role_map": {}}`. `role_map` maps a role of this run to
the role of the checkpoint it loads from (a distillation teacher, frozen here,
from another run's "model"). Each loaded role goes through the method's load hook for
that role (e.g. resizing a position-embedding table), else must match the new
model exactly; a mismatch lists the missing, unexpected and reshaped keys.
"""

import logging
from typing import Any, Mapping

import jax
import ml_collections
import orbax.checkpoint as ocp
from etils import epath

from jaxvision.core import checkpoint
from jaxvision.core import method as method_lib
from jaxvision.core import sharding


CheckpointMismatchError = checkpoint.CheckpointMismatchError
check_compatible = checkpoint.check_compatible


def load(cfg: ml_collections.ConfigDict, ctx: method_lib.StageContext,
         method: method_lib.Method, init_params: Mapping[str, Any]
         ) -> dict[str, Any]:
  """Params for `ctx`'s model: loaded roles replace their initial values."""
  directory = epath.Path(cfg.workdir) / "checkpoints"
  if not directory.exists():
    raise FileNotFoundError(
        f"init_from.workdir={cfg.workdir!r} has no checkpoints/ folder; point "
        "it at the workdir of a finished or running jaxvision run.")
  with ocp.CheckpointManager(directory, item_names=("state",)) as manager:
    step = cfg.get("step", None) or manager.latest_step()
    if step is None:
      raise FileNotFoundError(f"No checkpoint steps in {directory}.")
    # NOTE: a target with this run's devices lets a checkpoint written on
    # another topology load (orbax's stored shardings name the old devices).
    replicated = sharding.replicated(ctx.mesh)
    target = jax.tree.map(
        lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=replicated),
        manager.item_metadata(step)["state"])
    restored = manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(target)))["state"]["params"]
  role_map = dict(cfg.get("role_map", None) or {})
  roles = cfg.get("roles", None) or sorted(
      r for r in init_params if role_map.get(r, r) in restored)
  params = dict(init_params)
  for role in roles:
    source = role_map.get(role, role)
    if role not in init_params:
      raise CheckpointMismatchError(
          f"init_from: role {role!r} is not a role of this model (it has "
          f"{sorted(init_params)}).")
    if source not in restored:
      raise CheckpointMismatchError(
          f"init_from: role {source!r} is not in the checkpoint (it has "
          f"{sorted(restored)}).")
    hook = method.load_hooks.get(role)
    loaded = (hook(ctx, restored[source], init_params[role]) if hook else
              restored[source])
    check_compatible(loaded, init_params[role], f"init_from role {role!r}")
    params[role] = loaded
    logging.info("init_from: role %r loaded from role %r of %s step %d.",
                 role, source, directory, step)
  return params
