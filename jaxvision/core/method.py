"""The method contract: what a method package gives the engine.

A method is a module-level `Method` built from plain functions. The engine
calls them with a `StageContext` (the config, the current stage, the mesh and
where the stage sits in the run) and never names a method itself.
"""

import dataclasses
from typing import Any, Callable, Mapping, Protocol

import jax
import ml_collections

from jaxvision.core import state as state_lib

Batch = Mapping[str, jax.Array]
Metrics = Mapping[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class StageContext:
  """Where the run is: config, stage, mesh, step range, host."""

  config: ml_collections.ConfigDict
  stage: ml_collections.ConfigDict
  index: int
  first_step: int
  last_step: int
  mesh: jax.sharding.Mesh
  workdir: str = ""

  @property
  def steps(self) -> int:
    return self.last_step - self.first_step

  @property
  def local_batch_size(self) -> int:
    return self.stage.batch_size // jax.process_count()


class DataIterator(Protocol):
  """A host-local batch iterator whose position can be saved as JSON."""

  def __next__(self) -> dict[str, Any]:
    ...

  def get_state(self) -> dict[str, Any]:
    ...

  def set_state(self, state: dict[str, Any]) -> None:
    ...


TrainStep = Callable[
    [state_lib.TrainState, Batch, jax.Array],
    tuple[state_lib.TrainState, Metrics],
]


@dataclasses.dataclass(frozen=True)
class Method:
  """A method's plain functions.

  Attributes:
    name: registry name.
    init: (ctx, rng) -> {role: params}, or ({role: params}, {role: model
      state}) for models with non-param flax collections: model state maps a
      role to its collections other than "params" ({"batch_stats": ...}),
      which optimizers never see (`state.split_variables` makes the pair from
      {role: flax variables}). Traced under `jax.eval_shape` first and then
      jitted with the shardings of the partition rules, so it must be pure.
      Roles whose optimizer config is name='frozen' are frozen.
    make_train_step: ctx -> train_step(state, batch, rng) -> (state, metrics).
      Pure; the engine jits it with donated state. It must not advance
      `state.step` (the engine does, once per step). Metrics are scalars.
      A step that mutates collections stores them with
      `state.update_model_state(role, collections)`.
    make_train_data: (ctx, seed) -> DataIterator of host-local numpy batches
      with a leading batch axis of `ctx.local_batch_size`.
    evaluate: (ctx, state) -> {name: float} on held-out (test) data, or None.
      A method that supports model selection (`select_best`) also takes
      `split="validation"` and then evaluates its validation data.
    transition: (prev_ctx, ctx, params) -> params, run when a stage starts from
      the previous stage's params (e.g. up-sampling position embeddings to a
      new resolution). Default: params unchanged. Where the method keeps model
      state, the engine applies it to the model state (also role -> tree)
      too, so a role copied into another carries its statistics.
    flops_fns: ctx -> {name: (fn, abstract_args)}: forward functions of one
      example each, whose XLA cost is reported by the `flops` command.
    predict: (ctx, state, argv) -> {name: value} for the `predict` command.
    extract_features: (config, out) -> {name: value} for `extract-features`:
      caches what a frozen part of the model computes (LDM features) to `out`.
    abstract_batch: ctx -> {key: jax.ShapeDtypeStruct}: the shapes and dtypes
      of a stage's global training batch (what `make_train_data` yields,
      `stage.batch_size` examples), so the train step compiles without data
      (`aot`: deviceless TPU compile).
    eval_fns: (ctx, batch) -> {name: (fn, params, inputs)}: the stage's
      evaluation / predict forward(s) on a global batch of `batch` examples,
      called as `fn(*params, *inputs)`; params and inputs are abstract
      (`jax.ShapeDtypeStruct` trees). Compiled by `aot`.
  """

  name: str
  init: Callable[[StageContext, jax.Array], dict[str, Any]]
  make_train_step: Callable[[StageContext], TrainStep]
  make_train_data: Callable[[StageContext, int], DataIterator]
  evaluate: (
      Callable[[StageContext, state_lib.TrainState], dict[str, float]] | None
  ) = None
  transition: (
      Callable[[StageContext, StageContext, dict[str, Any]], dict[str, Any]]
      | None
  ) = None
  flops_fns: (
      Callable[
          [StageContext], dict[str, tuple[Callable[..., Any], tuple[Any, ...]]]
      ]
      | None
  ) = None
  predict: (
      Callable[[StageContext, state_lib.TrainState, list[str]], dict[str, Any]]
      | None
  ) = None
  extract_features: (
      Callable[[ml_collections.ConfigDict, str], dict[str, Any]] | None
  ) = None
  abstract_batch: (
      Callable[[StageContext], dict[str, jax.ShapeDtypeStruct]] | None
  ) = None
  eval_fns: (
      Callable[
          [StageContext, int],
          dict[
              str, tuple[Callable[..., Any], tuple[Any, ...], tuple[Any, ...]]
          ],
      ]
      | None
  ) = None


def split_init(roles: Any) -> tuple[dict[str, Any], dict[str, Any]]:
  """(params, model_state) of what `Method.init` returned (either form)."""
  if isinstance(roles, tuple):
    params, model_state = roles
    return dict(params), dict(model_state)
  return dict(roles), {}


def stage_contexts(
    config: ml_collections.ConfigDict,
    mesh: jax.sharding.Mesh,
    workdir: str = "",
) -> list[StageContext]:
  """One context per stage, with global step ranges laid end to end."""
  contexts, step = [], 0
  for index, stage in enumerate(config.stages):
    contexts.append(
        StageContext(
            config=config,
            stage=stage,
            index=index,
            first_step=step,
            last_step=step + stage.steps,
            mesh=mesh,
            workdir=workdir,
        )
    )
    step += stage.steps
  return contexts


def data_seed(config: ml_collections.ConfigDict, stage_index: int) -> int:
  """The seed of a stage's training stream (`make_train_data(ctx, seed)`)."""
  return config.get("seed", 0) * 1000 + stage_index


def simple_train_step(
    loss_fn: Callable[..., tuple[jax.Array, Metrics]], role: str = "model"
) -> TrainStep:
  """A train step for one role from `loss_fn(params, batch, rng, state)`.

  `loss_fn` returns (loss, metrics); the step differentiates it with respect
  to `state.params[role]`, applies the role's optimizer and adds `loss` to the
  metrics.
  """

  def train_step(state, batch, rng):
    def objective(params):
      return loss_fn(params, batch, rng, state)

    (loss, metrics), grads = jax.value_and_grad(objective, has_aux=True)(
        state.params[role]
    )
    state = state.apply_gradients({role: grads})
    return state, {"loss": loss, **metrics}

  return train_step
