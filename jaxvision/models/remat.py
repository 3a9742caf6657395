"""Rematerialisation policies, one config knob for every model that remats.

`remat` is a model config value: False / "none" (keep every activation for
the backward pass), True / "full" (keep nothing inside a block: recompute the
whole block; the old all-or-nothing `nn.remat`), "dots" (keep matmul outputs,
recompute the cheap element-wise ops) or "dots_no_batch" (keep only matmul
outputs without batch dimensions, i.e. weight-stationary projections, as
maxtext's "minimal" policy does). Memory falls and recompute grows from
"none" to "full"; the numerics are the same (tested).
"""

from typing import Any

import flax.linen as nn
import jax

POLICIES = {
    "none": None,
    "full": None,
    "dots": jax.checkpoint_policies.dots_saveable,
    "dots_no_batch": jax.checkpoint_policies.dots_with_no_batch_dims_saveable,
}


def policy_name(remat: bool | str | None) -> str:
  """The policy name of a config value (bools keep their old meaning)."""
  if remat is None or remat is False:
    return "none"
  if remat is True:
    return "full"
  if remat not in POLICIES:
    raise ValueError(
        f"Unknown remat policy {remat!r}; valid: "
        f"{sorted(POLICIES)} (or true/false)."
    )
  return remat


def wrap(
    module_cls: type[nn.Module], remat: bool | str | None, **kwargs: Any
) -> type[nn.Module]:
  """`module_cls`, rematerialised by the policy `remat` names.

  `kwargs` go to `nn.remat` (e.g. `static_argnums`, `prevent_cse=False`
  inside `nn.scan`).
  """
  name = policy_name(remat)
  if name == "none":
    return module_cls
  return nn.remat(module_cls, policy=POLICIES[name], **kwargs)
