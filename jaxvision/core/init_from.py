"""`init_from`: start a run from another run's checkpoint, role by role.

`config.init_from = {"workdir": DIR, "step": None (newest), "roles": None
(all roles found)}`. Each loaded role goes through the method's load hook for
that role (e.g. resizing a position-embedding table), else must match the new
model exactly; a mismatch lists the missing, unexpected and reshaped keys.
"""

import logging
from typing import Any, Mapping

import jax
import ml_collections
import orbax.checkpoint as ocp
from etils import epath

from jaxvision.core import method as method_lib
from jaxvision.core import sharding


class CheckpointMismatchError(ValueError):
  """Loaded params do not fit the model being trained."""


def _flat(tree: Any) -> dict[str, tuple[int, ...]]:
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return {sharding.path_name(p): tuple(getattr(x, "shape", ())) for p, x in flat}


def check_compatible(loaded: Any, expected: Any, what: str) -> None:
  """Raises CheckpointMismatchError listing key/shape differences."""
  got, want = _flat(loaded), _flat(expected)
  missing = sorted(set(want) - set(got))
  unexpected = sorted(set(got) - set(want))
  reshaped = sorted(f"{k}: {got[k]} vs expected {want[k]}"
                    for k in set(got) & set(want) if got[k] != want[k])
  if missing or unexpected or reshaped:
    lines = [f"{what} do not match the model:"]
    for title, items in (("missing", missing), ("unexpected", unexpected),
                         ("shape mismatch", reshaped)):
      if items:
        shown = items[:20] + ([f"... {len(items) - 20} more"]
                              if len(items) > 20 else [])
        lines.append(f"  {title} ({len(items)}): " + ", ".join(shown))
    lines.append("  Check that the checkpoint was trained with the same "
                 "architecture config, or add a load hook for the role.")
    raise CheckpointMismatchError("\n".join(lines))


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
    restored = manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore()))["state"]["params"]
  roles = cfg.get("roles", None) or sorted(set(restored) & set(init_params))
  params = dict(init_params)
  for role in roles:
    if role not in restored:
      raise CheckpointMismatchError(
          f"init_from: role {role!r} is not in the checkpoint (it has "
          f"{sorted(restored)}).")
    hook = method.load_hooks.get(role)
    loaded = (hook(ctx, restored[role], init_params[role]) if hook else
              restored[role])
    check_compatible(loaded, init_params[role], f"init_from role {role!r}")
    params[role] = loaded
    logging.info("init_from: role %r loaded from %s step %d.", role, directory,
                 step)
  return params
