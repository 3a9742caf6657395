"""Train state: a dict of roles, each with its own params and optimizer.

Roles name the sub-models a method trains: `{"model"}` for a single network,
`{"gen", "disc", "task"}` for a GAN with a task net, `{"head"}` plus a frozen
backbone. A trainable role has an optax transformation and optimizer state; a
frozen role (a teacher, a pretrained LDM) lives in `frozen`, which the core
never donates; checkpoints hold it only when an earlier stage trained it
(otherwise it is reloaded from its source: `init` or `init_from`).

Model state that is not a parameter (flax collections such as BatchNorm's
`batch_stats`) lives in `model_state`, role -> {collection: tree}, for
trainable and frozen roles alike: optimizers never see it, the train step
returns its new value (donated like the rest of the trainable state), and
checkpoints save it with the step. `variables(role)` gives the flax
variables `{"params": ..., **model_state[role]}` that `module.apply` takes.
"""

from typing import Any, Mapping

import flax
import jax
import optax

Params = Any
PyTree = Any


@flax.struct.dataclass
class TrainState:
  """Everything a train step reads and writes.

  Attributes:
    step: global step across all stages (int32 scalar).
    rng: base PRNG key data (uint32[2]); the step key is `fold_in(rng, step)`,
      so resuming at step s draws exactly the keys an uninterrupted run would.
    params: role -> params of trainable roles.
    opt_state: role -> optimizer state.
    frozen: role -> params of frozen roles (not donated).
    model_state: role -> non-param flax collections ({"batch_stats": ...})
      of the roles that have any, trainable or frozen.
    txs: role -> optax transformation (static).
  """

  step: jax.Array
  rng: jax.Array
  params: dict[str, Params]
  opt_state: dict[str, PyTree]
  frozen: dict[str, Params] = flax.struct.field(default_factory=dict)
  model_state: dict[str, PyTree] = flax.struct.field(default_factory=dict)
  txs: Mapping[str, optax.GradientTransformation] = flax.struct.field(
      pytree_node=False, default_factory=dict
  )

  def apply_gradients(self, grads: Mapping[str, PyTree]) -> "TrainState":
    """Updates the roles named in `grads`; the other roles stay as they are.

    Does not advance `step`: a GAN step applies gradients to several roles in
    turn, and the core advances the step once per train step.
    """
    params = dict(self.params)
    opt_state = dict(self.opt_state)
    for role, role_grads in grads.items():
      if role not in self.txs:
        raise ValueError(
            f"Role {role!r} has no optimizer; trainable roles: "
            f"{sorted(self.txs)}. Frozen roles take no gradients."
        )
      updates, opt_state[role] = self.txs[role].update(
          role_grads, self.opt_state[role], self.params[role]
      )
      params[role] = optax.apply_updates(self.params[role], updates)
    return self.replace(params=params, opt_state=opt_state)

  def variables(self, role: str) -> dict[str, PyTree]:
    """The flax variables of `role` (trainable or frozen) for `apply`."""
    params = self.params[role] if role in self.params else self.frozen[role]
    return merge_variables(params, self.model_state.get(role, {}))

  def update_model_state(
      self, role: str, collections: Mapping[str, PyTree]
  ) -> "TrainState":
    """`role`'s model state replaced by `collections` (e.g. the mutated
    collections `module.apply(..., mutable=[...])` returns)."""
    return self.replace(
        model_state={**self.model_state, role: dict(collections)}
    )

  def checkpointed(self) -> dict[str, PyTree]:
    """The part of the state that checkpoints save and restore (the model
    state only where there is any, so stateless models keep their layout)."""
    tree = {
        "step": self.step,
        "rng": self.rng,
        "params": self.params,
        "opt_state": self.opt_state,
    }
    if self.model_state:
      tree["model_state"] = self.model_state
    return tree


def merge_variables(
    params: Params, collections: Mapping[str, PyTree]
) -> dict[str, PyTree]:
  """`{"params": params, **collections}`: one role's flax variables."""
  return {"params": params, **collections}


def split_variables(
    roles: Mapping[str, Mapping[str, PyTree]],
) -> tuple[dict[str, Params], dict[str, PyTree]]:
  """{role: flax variables} -> ({role: params}, {role: other collections}).

  Roles whose variables hold only "params" get no model state entry.
  """
  params, model_state = {}, {}
  for role, variables in roles.items():
    params[role] = variables["params"]
    rest = {k: v for k, v in variables.items() if k != "params"}
    if rest:
      model_state[role] = rest
  return params, model_state


def create(
    params: Mapping[str, Params],
    txs: Mapping[str, optax.GradientTransformation],
    rng: jax.Array,
    step: int | jax.Array = 0,
    model_state: Mapping[str, PyTree] | None = None,
) -> TrainState:
  """Builds a state; roles without a transformation become frozen."""
  trainable = {k: v for k, v in params.items() if k in txs}
  frozen = {k: v for k, v in params.items() if k not in txs}
  unknown = set(txs) - set(params)
  if unknown:
    raise ValueError(
        f"Optimizers given for unknown roles {sorted(unknown)}; "
        f"the method's roles are {sorted(params)}."
    )
  model_state = dict(model_state or {})
  unknown = set(model_state) - set(params)
  if unknown:
    raise ValueError(
        f"Model state given for unknown roles {sorted(unknown)}; "
        f"the method's roles are {sorted(params)}."
    )
  opt_state = {k: txs[k].init(v) for k, v in trainable.items()}
  return TrainState(
      step=jax.numpy.asarray(step, jax.numpy.int32),
      rng=jax.random.key_data(rng)
      if jax.dtypes.issubdtype(rng.dtype, jax.dtypes.prng_key)
      else rng,
      params=trainable,
      opt_state=opt_state,
      frozen=frozen,
      model_state=model_state,
      txs=dict(txs),
  )


def step_rng(state: TrainState) -> jax.Array:
  """The PRNG key of the current step (depends only on base key and step)."""
  return jax.random.fold_in(jax.random.wrap_key_data(state.rng), state.step)
