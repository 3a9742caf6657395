"""Network registries and variable handling for the three roles.

The steps work on each role's flax variables, `state.variables(role)` =
`{"params": ..., "batch_stats": ...}` (no `batch_stats` for norm-free nets):
the optimizer sees the params, and the BatchNorm running statistics are the
role's model state (`step_common.apply_role_update` stores both).

Registry keys (spec 3.7): gen `resnet9_t2net | rbdn`, task
`unet_gasda | sfsnet`, critic `conv14_bn | conv12_plain` (any channel list).
"""

import dataclasses
import difflib
from typing import Any

import flax.linen as nn
import jax
import ml_collections

from jaxvision.methods.sharingan import depth_nets
from jaxvision.methods.sharingan import face_nets

Variables = dict[str, Any]
TASKS = ("depth", "face_normals")


def _pick(kind: str, name: str, registry: dict[str, Any]):
  if name not in registry:
    close = difflib.get_close_matches(name, list(registry), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"Unknown model.{kind}.name {name!r}.{hint} Valid: "
        f"{sorted(registry)}."
    )
  return registry[name]


def _resnet_gen(cfg, model_cfg):
  return depth_nets.ResnetGenerator(
      ngf=cfg.ngf,
      n_blocks=cfg.n_blocks,
      prelu_shared=model_cfg.prelu_shared,
      bn_scale_init=model_cfg.bn_scale_init,
  )


def _unet_task(cfg, model_cfg):
  return depth_nets.UNetGasda(
      ngf=cfg.ngf,
      n_inception=cfg.n_inception,
      inception_width=cfg.inception_width,
      skip_weight=cfg.skip_weight,
      prelu_shared=model_cfg.prelu_shared,
      bn_scale_init=model_cfg.bn_scale_init,
  )


def _critic(cfg, model_cfg):
  del model_cfg
  return depth_nets.Critic(
      channels=tuple(cfg.channels),
      strides=tuple(cfg.strides),
      hidden=tuple(cfg.hidden),
      norm=cfg.norm,
  )


GENERATORS = {
    "resnet9_t2net": _resnet_gen,
    "rbdn": lambda cfg, model_cfg: face_nets.RBDN(features=cfg.features),
}
TASK_NETS = {
    "unet_gasda": _unet_task,
    "sfsnet": lambda cfg, model_cfg: face_nets.SfSNet(),
}
CRITICS = {"conv14_bn": _critic, "conv12_plain": _critic}


@dataclasses.dataclass(frozen=True)
class Nets:
  gen: nn.Module
  task: nn.Module
  critic: nn.Module


def build(config: ml_collections.ConfigDict) -> Nets:
  """The G, T and D modules named by `config.model`."""
  if config.task not in TASKS:
    raise ValueError(f"config.task={config.task!r}; valid: {TASKS}.")
  m = config.model
  return Nets(
      gen=_pick("gen", m.gen.name, GENERATORS)(m.gen, m),
      task=_pick("task_net", m.task_net.name, TASK_NETS)(m.task_net, m),
      critic=_pick("critic", m.critic.name, CRITICS)(m.critic, m),
  )


def apply(
    module: nn.Module, variables: Variables, x: jax.Array, train: bool
) -> tuple[Any, Variables]:
  """(output, variables with updated batch_stats) of one forward pass.

  In train mode BatchNorm normalises with the batch's statistics and the
  returned variables carry the updated running averages; callers decide
  whether to keep them (a network's stats change only in its own step).
  """
  if train and "batch_stats" in variables:
    out, updates = module.apply(
        variables, x, train=True, mutable=["batch_stats"]
    )
    return out, {**variables, **updates}
  return module.apply(variables, x, train=train), variables


def init_variables(
    module: nn.Module, rng: jax.Array, example: jax.Array
) -> Variables:
  return dict(module.init(rng, example, train=False))
