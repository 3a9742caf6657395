"""`init_from`: start a run from another run's checkpoint, role by role.

`config.init_from = {"workdir": DIR, "step": None (newest), "roles": None
(all roles found), "role_map": {}}`. `role_map` maps a role of this run to
the role of the checkpoint it loads from (a distillation teacher, frozen here,
from another run's "model"). A loaded role brings its params and its model
state (BatchNorm statistics), which must match the new model exactly; a
mismatch lists the missing, unexpected and reshaped keys.
"""

import logging
from typing import Any, Mapping

import ml_collections

from jaxvision.core import checkpoint
from jaxvision.core import method as method_lib
from jaxvision.core import sharding

CheckpointMismatchError = checkpoint.CheckpointMismatchError
check_compatible = checkpoint.check_compatible


def load(
    cfg: ml_collections.ConfigDict,
    ctx: method_lib.StageContext,
    init_params: Mapping[str, Any],
    init_model_state: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
  """(params, model state) for `ctx`'s model: loaded roles replace their
  initial values."""
  try:
    step, restored, restored_state = checkpoint.read_params(
        cfg.workdir,
        cfg.get("step", None),
        placement=sharding.replicated(ctx.mesh),
    )
  except FileNotFoundError as e:
    raise FileNotFoundError(f"init_from.workdir={cfg.workdir!r}: {e}") from e
  role_map = dict(cfg.get("role_map", None) or {})
  roles = cfg.get("roles", None) or sorted(
      r for r in init_params if role_map.get(r, r) in restored
  )
  params, model_state = dict(init_params), dict(init_model_state)
  for role in roles:
    source = role_map.get(role, role)
    if role not in init_params:
      raise CheckpointMismatchError(
          f"init_from: role {role!r} is not a role of this model (it has "
          f"{sorted(init_params)})."
      )
    if source not in restored:
      raise CheckpointMismatchError(
          f"init_from: role {source!r} is not in the checkpoint (it has "
          f"{sorted(restored)})."
      )
    check_compatible(
        restored[source], init_params[role], f"init_from role {role!r}"
    )
    check_compatible(
        restored_state.get(source, {}),
        init_model_state.get(role, {}),
        f"init_from role {role!r}'s model state",
    )
    params[role] = restored[source]
    if role in init_model_state:
      model_state[role] = restored_state[source]
    logging.info(
        "init_from: role %r loaded from role %r of %s step %d.",
        role,
        source,
        cfg.workdir,
        step,
    )
  return params, model_state
