"""THE train loop: resume -> init -> jit step -> log/eval/checkpoint, per stage.

A run is a list of stages (e.g. RECLIP's low-res main phase, then the high-res
finetune). Each stage builds its own model shapes, optimizers (fresh state,
schedule restarting at the stage's first step) and input pipeline. A stage
starts from, in order of preference: a checkpoint inside the stage (resume),
the previous stage's final params passed through the method's `transition`,
`config.init_from`, or a fresh init. Evaluation sees each role's EMA weights
where its optimizer keeps one (`ema.py`); the next stage continues training
the raw weights.

A stage with `eval_every=N` also evaluates every N steps, writing the
metrics as they come (its last step gets the end-of-stage evaluation). With
`config.select_best = {"metric", "mode": "max" | "min", "split":
"validation"}` those evaluations, the last step's included, run on that
split (`method.evaluate(ctx, state, split=...)`), the best step so far is
kept in checkpoints/best/ (surviving keep-N and resume), and the run's final
test evaluation is of that step's state.

The hot loop never waits for the device: step metrics stay on device until a
log step, the compiled step is reused (shape changes fail loudly instead of
recompiling), the state is donated and inputs are prefetched to device.
"""

import dataclasses
import functools
import logging
import math
import time
from typing import Any, Sequence

import jax
import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.core import checkpoint as checkpoint_lib
from jaxvision.core import ema
from jaxvision.core import init_from as init_from_lib
from jaxvision.core import method as method_lib
from jaxvision.core import metrics as metrics_lib
from jaxvision.core import optim
from jaxvision.core import prefetch
from jaxvision.core import sharding
from jaxvision.core import state as state_lib


class Preempted(Exception):
  """SIGTERM arrived; a checkpoint of the current step was saved."""


@dataclasses.dataclass
class StageBuild:
  """Everything compiled/derived for one stage.

  `carried` are the stage's frozen roles that an earlier stage trained (a
  tiny LDM pretrained, then frozen): unlike frozen roles from `init` or
  `init_from`, they cannot be rebuilt from a source, so checkpoints hold them.
  """

  ctx: method_lib.StageContext
  abstract: state_lib.TrainState
  shardings: state_lib.TrainState
  init: Any
  txs: dict[str, Any]
  method: method_lib.Method
  carried: tuple[str, ...] = ()
  schedules: dict[str, optim.Schedule] = dataclasses.field(default_factory=dict)

  def learning_rates(self, step: int) -> dict[str, float]:
    """`lr/<role>` of each trained role at global `step` (host-side numpy:
    the schedules restart at the stage's first step, like its optimizer)."""
    stage_step = np.asarray(step - self.ctx.first_step, np.int32)
    return {
        f"lr/{role}": float(np.asarray(schedule(stage_step)))
        for role, schedule in sorted(self.schedules.items())
    }

  def checkpointed(
      self, state: state_lib.TrainState, frozen: dict[str, Any]
  ) -> dict[str, Any]:
    """What a checkpoint of this stage saves (`frozen` held apart)."""
    tree = state.checkpointed()
    if self.carried:
      tree["frozen"] = {k: frozen[k] for k in self.carried}
    return tree

  def from_checkpoint(self, restored: dict[str, Any]) -> state_lib.TrainState:
    """The full state from a restored checkpointed tree."""
    frozen = dict(restored.get("frozen", {}))
    rebuild = sorted(set(self.abstract.frozen) - set(self.carried))
    if rebuild:
      # The other frozen roles are rebuilt from their source: `init` (which
      # may read weights files) and then `init_from`.
      initial = self.init(base_rng(self.ctx.config, self.ctx.index))
      rebuilt = {k: initial.frozen[k] for k in rebuild}
      if self.ctx.config.get("init_from", None):
        loaded, _ = init_from_lib.load(
            self.ctx.config.init_from,
            self.ctx,
            initial.params | initial.frozen,
            initial.model_state,
        )
        rebuilt = jax.device_put(
            {k: loaded[k] for k in rebuild},
            {k: self.shardings.frozen[k] for k in rebuild},
        )
      frozen.update(rebuilt)
    return state_lib.TrainState(
        step=restored["step"],
        rng=restored["rng"],
        params=restored["params"],
        opt_state=restored["opt_state"],
        frozen=frozen,
        model_state=restored.get("model_state", {}),
        txs=self.txs,
    )

  def abstract_checkpoint(self) -> dict[str, Any]:
    """ShapeDtypeStructs with shardings for restoring the checkpointed part."""
    frozen = {k: self.abstract.frozen[k] for k in self.carried}
    frozen_shardings = {k: self.shardings.frozen[k] for k in self.carried}
    return jax.tree.map(
        lambda a, s: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s),
        self.checkpointed(self.abstract, frozen),
        self.checkpointed(self.shardings, frozen_shardings),
    )


def base_rng(config: ml_collections.ConfigDict, stage_index: int) -> jax.Array:
  return jax.random.fold_in(jax.random.key(config.get("seed", 0)), stage_index)


def build_stage(
    method: method_lib.Method, ctx: method_lib.StageContext
) -> StageBuild:
  """Abstract state, shardings and a sharded init function for a stage."""
  rng = base_rng(ctx.config, ctx.index)
  roles, _ = method_lib.split_init(
      jax.eval_shape(functools.partial(method.init, ctx), rng)
  )
  txs, schedules = optim.per_role(ctx.stage.optim, list(roles), ctx.steps)

  def init(rng):
    params, model_state = method_lib.split_init(method.init(ctx, rng))
    return state_lib.create(
        params, txs, rng, step=ctx.first_step, model_state=model_state
    )

  abstract = jax.eval_shape(init, rng)
  rules = sharding.default_rules(ctx.config)
  shardings = sharding.tree_shardings(abstract, rules, ctx.mesh)
  trained_before = set()
  for stage in ctx.config.stages[: ctx.index]:
    trained_before |= optim.trained_roles(stage.optim, list(roles))
  return StageBuild(
      ctx=ctx,
      abstract=abstract,
      shardings=shardings,
      init=jax.jit(init, out_shardings=shardings),
      txs=txs,
      method=method,
      carried=tuple(sorted(set(abstract.frozen) & trained_before)),
      schedules=dict(schedules),
  )


def jit_train_step(build: StageBuild):
  """THE jitted train step of a stage: state, frozen roles, batch -> state.

  The trainer and the deviceless TPU compile (`jaxvision/aot.py`) both lower
  this function, so what `aot` measures is what the trainer runs: the same
  shardings (state by the partition rules, batch over data x fsdp, metrics
  replicated) and the same donation (the trainable state; frozen roles are
  never donated). The returned function takes the state without its frozen
  roles (`state.replace(frozen={})`), the frozen roles and a global batch.
  """
  train_step = build.method.make_train_step(build.ctx)

  def step_fn(trainable, frozen, batch):
    rng = state_lib.step_rng(trainable)
    new, step_metrics = train_step(trainable.replace(frozen=frozen), batch, rng)
    return new.replace(step=trainable.step + 1, frozen={}), step_metrics

  mesh = build.ctx.mesh
  state_shardings = build.shardings.replace(frozen={})
  return jax.jit(
      step_fn,
      in_shardings=(
          state_shardings,
          build.shardings.frozen,
          sharding.batch_sharding(mesh),
      ),
      out_shardings=(state_shardings, sharding.replicated(mesh)),
      donate_argnums=(0,),
  )


def selection(config: ml_collections.ConfigDict) -> dict[str, str] | None:
  """`config.select_best` checked: {"metric", "mode", "split"}, or None."""
  select = config.get("select_best", None)
  if not select:
    return None
  select = dict(select)
  unknown = set(select) - {"metric", "mode", "split"}
  if unknown or not select.get("metric"):
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"select_best={select} needs a metric and takes only metric, mode "
            "and split",
            "select_best",
            "set e.g. {'metric': 'kitti_val/abs_rel', 'mode': 'min', "
            "'split': 'validation'}",
        )
    )
  select.setdefault("split", "validation")
  if select.setdefault("mode", "max") not in ("max", "min"):
    raise user_errors.InvalidValueError(
        user_errors.message(
            f"select_best.mode={select['mode']!r} is not 'max' or 'min'",
            "select_best.mode",
            "use 'max' (e.g. accuracy) or 'min' (errors)",
        )
    )
  return select


def _meta(ctx: method_lib.StageContext, device_hours: float) -> dict[str, Any]:
  return {
      "stage_index": ctx.index,
      "stage": ctx.stage.name,
      "device_hours": device_hours,
  }


class Trainer:
  """Runs all stages of a config in `workdir`."""

  def __init__(
      self,
      config: ml_collections.ConfigDict,
      workdir: str,
      method: method_lib.Method,
      devices: Sequence[jax.Device] | None = None,
  ):
    self.config = config
    self.workdir = workdir
    self.method = method
    self.mesh = sharding.make_mesh(config.get("mesh", None), devices)
    self.contexts = method_lib.stage_contexts(config, self.mesh, workdir)
    ckpt_cfg = config.get("checkpoint", ml_collections.ConfigDict())
    self.checkpoint_every = ckpt_cfg.get("every_steps", 0)
    self.manager = checkpoint_lib.Manager(
        workdir,
        max_to_keep=ckpt_cfg.get("keep", 3),
        async_save=ckpt_cfg.get("async_save", True),
    )
    self.writer = metrics_lib.make_writer(workdir)
    self.log_every = config.get("log_every", 50)
    self.last_checkpoint: int | None = None
    self.device_hours = metrics_lib.DeviceHours(self.mesh.devices.size)
    self.final_metrics: dict[str, float] = {}
    self.select = selection(config)
    self.best_manager = (
        checkpoint_lib.Manager(
            workdir, max_to_keep=1, async_save=False, best=True
        )
        if self.select
        else None
    )
    self.best: tuple[int, float] | None = None  # (step, value) so far

  def run(self) -> dict[str, float]:
    """Trains every stage; returns the last evaluation's metrics."""
    previous = None
    with checkpoint_lib.PreemptionWatcher() as watcher:
      try:
        resume = self.manager.restore_latest(self._abstract_for_meta)
        self.best = self._best_so_far()
        for ctx in self.contexts:
          if resume is not None and resume[0] > ctx.last_step:
            continue  # a later stage's checkpoint exists
          build = build_stage(self.method, ctx)
          train_state, data_state = self._start(build, previous, resume)
          resume = None
          ran = train_state_step(train_state) < ctx.last_step
          train_state = self._run_stage(build, train_state, data_state, watcher)
          last = ctx.index == len(self.contexts) - 1
          if last and self.select:
            self._evaluate_best()
          elif ran or last:
            self._evaluate(ctx, train_state)
          previous = (build, train_state)
      finally:
        self.manager.close()
        if self.best_manager is not None:
          self.best_manager.close()
        self.writer.close()
    return self.final_metrics

  def _stage_abstract(self, meta: dict[str, Any]) -> Any:
    return build_stage(
        self.method, self.contexts[meta["stage_index"]]
    ).abstract_checkpoint()

  def _best_so_far(self) -> tuple[int, float] | None:
    """(step, value) of the kept best checkpoint, read back on resume."""
    if self.best_manager is None:
      return None
    for step in reversed(self.best_manager.steps()):
      meta = self.best_manager.read_meta(step)
      if meta and "best" in meta:
        return step, float(meta["best"]["value"])
    return None

  def _evaluate_best(self) -> None:
    """The final (test) evaluation, of the validation-selected step."""
    restored = self.best_manager.restore_latest(self._stage_abstract)
    if restored is None:
      raise user_errors.InvalidValueError(
          f"select_best is set but no stage evaluated on the "
          f"{self.select['split']!r} split: set eval_every on the stages, "
          f"and check {self.best_manager.directory}."
      )
    step, tree, _, meta = restored
    build = build_stage(self.method, self.contexts[meta["stage_index"]])
    logging.info(
        "Final evaluation of the best step %d (%s=%s).",
        step,
        self.select["metric"],
        meta["best"]["value"],
    )
    self._evaluate(build.ctx, build.from_checkpoint(tree))
    self.final_metrics["best_step"] = step

  def _abstract_for_meta(self, meta: dict[str, Any]) -> Any:
    index = meta["stage_index"]
    if index >= len(self.contexts):
      raise user_errors.InvalidValueError(
          f"Checkpoint is from stage {index} but the config has "
          f"only {len(self.contexts)} stages."
      )
    self.device_hours = metrics_lib.DeviceHours(
        self.mesh.devices.size, meta.get("device_hours", 0.0)
    )
    return build_stage(self.method, self.contexts[index]).abstract_checkpoint()

  def _start(self, build: StageBuild, previous, resume):
    """The stage's initial state and data-iterator state."""
    ctx = build.ctx
    if resume is not None and ctx.first_step < resume[0] <= ctx.last_step:
      step, restored, data_state, _ = resume
      logging.info("Resuming stage %r at step %d.", ctx.stage.name, step)
      self.last_checkpoint = step
      return build.from_checkpoint(restored), data_state
    if previous is not None:
      # NOTE: the state is built from the previous stage's params without
      # running (and compiling) the model's init, which for large models
      # costs minutes per stage. They are the raw params, not an EMA: the
      # next stage continues training them (as LitEma's reference does), and
      # its optimizer starts a fresh EMA from them.
      prev_build, prev_state = previous
      params = prev_state.params | prev_state.frozen
      model_state = prev_state.model_state
      if self.method.transition is not None:
        params = self.method.transition(prev_build.ctx, ctx, params)
        if model_state:
          model_state = self.method.transition(prev_build.ctx, ctx, model_state)
      train_state = self._from_params(build, params, model_state)
      logging.info(
          "Stage %r starts from stage %r's params.",
          ctx.stage.name,
          prev_build.ctx.stage.name,
      )
    elif self.config.get("init_from", None):
      initial = build.init(base_rng(ctx.config, ctx.index))
      params, model_state = init_from_lib.load(
          self.config.init_from,
          ctx,
          initial.params | initial.frozen,
          initial.model_state,
      )
      train_state = self._from_params(build, params, model_state)
    else:
      train_state = build.init(base_rng(ctx.config, ctx.index))
    if jax.process_index() == 0:
      for role, params in train_state.params.items():
        metrics_lib.log_parameter_overview(params, role)
        print(
            f"stage={ctx.stage.name} params_{role}="
            f"{optim.count_params(params)}",
            flush=True,
        )
    return train_state, None

  def _from_params(self, build: StageBuild, params, model_state):
    """A stage's state from given params and model state: fresh optimizer
    state, the stage's first step and base RNG; shapes are checked against
    the stage's model."""
    abstract = build.abstract
    stage = build.ctx.stage.name
    init_from_lib.check_compatible(
        params,
        abstract.params | abstract.frozen,
        what=f"params entering stage {stage!r}",
    )
    init_from_lib.check_compatible(
        model_state,
        abstract.model_state,
        what=f"model state entering stage {stage!r}",
    )
    # Loaded or transformed params may live anywhere (host, one device).
    trainable = jax.device_put(
        {k: params[k] for k in abstract.params}, build.shardings.params
    )
    frozen = jax.device_put(
        {k: params[k] for k in abstract.frozen}, build.shardings.frozen
    )
    model_state = jax.device_put(dict(model_state), build.shardings.model_state)
    ctx = build.ctx

    @functools.partial(jax.jit, out_shardings=build.shardings)
    def place(trainable, frozen, model_state, rng):
      return state_lib.create(
          trainable | frozen,
          build.txs,
          rng,
          step=ctx.first_step,
          model_state=model_state,
      )

    return place(
        trainable, frozen, model_state, base_rng(ctx.config, ctx.index)
    )

  def _compile_step(self, build: StageBuild, train_state, batch):
    return (
        jit_train_step(build)
        .lower(train_state.replace(frozen={}), train_state.frozen, batch)
        .compile()
    )

  def _run_stage(self, build: StageBuild, train_state, data_state, watcher):
    ctx = build.ctx
    step = train_state_step(train_state)
    if step >= ctx.last_step:
      return train_state
    check_batch_size(ctx)
    seed = method_lib.data_seed(self.config, ctx.index)
    iterator = self.method.make_train_data(ctx, seed)
    if data_state is not None:
      iterator.set_state(data_state)
    batches = prefetch.DevicePrefetcher(
        iterator,
        sharding.batch_sharding(ctx.mesh),
        size=self.config.get("prefetch", 2),
    )
    logging.info(
        "stage=%s steps %d..%d batch=%d",
        ctx.stage.name,
        step,
        ctx.last_step,
        ctx.stage.batch_size,
    )
    print(
        f"stage={ctx.stage.name} first_step={step} "
        f"last_step={ctx.last_step} batch_size={ctx.stage.batch_size}",
        flush=True,
    )
    progress = metrics_lib.Progress(
        ctx.stage.name, step, ctx.last_step, self.contexts[-1].last_step
    )
    frozen = train_state.frozen
    train_state = train_state.replace(frozen={})
    pending: list[Any] = []
    compiled = None
    data_state = None
    try:
      while step < ctx.last_step:
        batch, data_state = next(batches)
        if compiled is None:
          compiled = self._compile_step(
              build, train_state.replace(frozen=frozen), batch
          )
          self._log_flops(ctx, compiled, step)
        train_state, step_metrics = compiled(train_state, frozen, batch)
        pending.append(step_metrics)
        step += 1
        if step % self.log_every == 0 or step == ctx.last_step:
          self._log(step, pending, progress, iterator, build)
          pending = []
        # NOTE: before the save, so a run killed after it re-evaluates the
        # step (bit-identically) instead of missing it. The stage's last step
        # is evaluated after the loop unless selection needs it here.
        every = ctx.stage.get("eval_every", 0)
        if every and (
            step % every == 0
            and step < ctx.last_step
            or step == ctx.last_step
            and self.select
        ):
          self._periodic_eval(build, step, train_state, frozen, data_state)
        preempted = watcher.should_stop(step)
        if (
            preempted
            or step == ctx.last_step
            or (self.checkpoint_every and step % self.checkpoint_every == 0)
        ):
          self._save(build, step, train_state, frozen, data_state, pending)
          pending = []
        if preempted:
          raise Preempted(
              f"Preempted at step {step}; checkpoint saved in "
              f"{self.manager.directory}."
          )
    finally:
      batches.close()
    return train_state.replace(frozen=frozen)

  def _log(
      self, step: int, pending: list[Any], progress, iterator, build: StageBuild
  ) -> None:
    scalars = _mean_metrics(pending)
    metrics_lib.check_finite(scalars, step, self.last_checkpoint)
    if hasattr(iterator, "num_corrupt"):
      scalars["data/num_corrupt"] = iterator.num_corrupt
    scalars["device_hours"] = self.device_hours.tick()
    scalars.update(build.learning_rates(step))
    rate = progress.rate(step)
    if math.isfinite(rate):
      scalars["steps_per_sec"] = rate
    self.writer.write_scalars(step, scalars)
    if jax.process_index() == 0:
      print(progress.line(step, scalars), flush=True)

  def _log_flops(self, ctx, compiled, step: int) -> None:
    flops = metrics_lib.compiled_flops(compiled)
    if flops is None:
      return
    # NOTE: cost analysis is per device program; scale by the mesh's devices
    # for the whole (global) step.
    total = flops * ctx.mesh.devices.size
    self.writer.write_scalars(step, {"flops_per_step": total})
    if jax.process_index() == 0:
      print(
          f"stage={ctx.stage.name} train_step_gflops={total / 1e9:.4g} "
          f"(XLA, 2 per multiply-add, forward+backward, global batch "
          f"{ctx.stage.batch_size})",
          flush=True,
      )

  def _save(
      self, build, step, train_state, frozen, data_state, pending
  ) -> None:
    if pending:
      metrics_lib.check_finite(
          _mean_metrics(pending), step, self.last_checkpoint
      )
    if not bool(
        checkpoint_lib.all_finite((train_state.params, train_state.model_state))
    ):
      raise metrics_lib.NonFiniteError(
          f"Params became NaN/Inf by step {step}; not saving. The last good "
          f"checkpoint is at step {self.last_checkpoint}."
      )
    self.manager.save(
        step,
        build.checkpointed(train_state, frozen),
        data_state or {},
        _meta(build.ctx, self.device_hours.tick()),
    )
    self.last_checkpoint = step

  def _periodic_eval(
      self, build, step, train_state, frozen, data_state
  ) -> None:
    """Evaluates mid-stage; with select_best, keeps the best step so far."""
    if self.method.evaluate is None:
      return
    ctx, select = build.ctx, self.select
    state = ema.for_evaluation(train_state.replace(frozen=frozen))
    start = time.monotonic()
    if select is None:
      split, results = "test", self.method.evaluate(ctx, state)
    else:
      split = select["split"]
      results = self.method.evaluate(ctx, state, split=split)
    prefix = "eval" if split == "test" else f"eval_{split}"
    self.writer.write_scalars(
        step, {f"{prefix}/{k}": v for k, v in results.items()}
    )
    if jax.process_index() == 0:
      print(
          f"stage={ctx.stage.name} {prefix} at step {step} "
          f"({time.monotonic() - start:.1f}s): "
          + " ".join(f"{k}={v:.4f}" for k, v in sorted(results.items())),
          flush=True,
      )
    if select is None:
      return
    if select["metric"] not in results:
      raise KeyError(
          f"select_best.metric={select['metric']!r} is not among "
          f"the {split!r} metrics: {sorted(results)}."
      )
    value = float(results[select["metric"]])
    if self.best is not None and step <= self.best[0]:
      return  # a resumed run re-evaluating a step before the kept best
    if self.best is None or (
        value > self.best[1]
        if select["mode"] == "max"
        else value < self.best[1]
    ):
      self.best_manager.save(
          step,
          build.checkpointed(train_state, frozen),
          data_state or {},
          _meta(ctx, self.device_hours.tick())
          | {"best": dict(select, value=value)},
      )
      self.best = (step, value)

  def _evaluate(self, ctx, train_state) -> None:
    """Runs the method's evaluation on the EMA params where roles keep one."""
    if self.method.evaluate is None:
      return
    start = time.monotonic()
    results = self.method.evaluate(ctx, ema.for_evaluation(train_state))
    step = train_state_step(train_state)
    self.writer.write_scalars(
        step, {f"eval/{k}": v for k, v in results.items()}
    )
    self.final_metrics = dict(results)
    if jax.process_index() == 0:
      print(
          f"stage={ctx.stage.name} eval at step {step} "
          f"({time.monotonic() - start:.1f}s): "
          + " ".join(f"{k}={v:.4f}" for k, v in sorted(results.items())),
          flush=True,
      )


def check_batch_size(ctx: method_lib.StageContext) -> None:
  """The stage's global batch must split evenly over the mesh's batch axes."""
  shards = sharding.batch_shards(ctx.mesh)
  size = ctx.stage.batch_size
  if size % shards:
    raise user_errors.InputError(
        user_errors.message(
            f"batch size {size} does not split over the {shards} batch shards of "
            f"the mesh ({ctx.mesh.devices.size} devices)",
            f"stages.{ctx.index}.batch_size",
            f"set it to a multiple of {shards}, e.g. "
            f"{max(shards, size // shards * shards)}",
        )
    )


def _mean_metrics(pending: list[Any]) -> dict[str, float]:
  """Fetches a list of per-step metric dicts and averages them."""
  fetched = jax.device_get(pending)
  return {k: float(np.mean([m[k] for m in fetched])) for k in fetched[0]}


def train_state_step(train_state) -> int:
  return int(jax.device_get(train_state.step))


def train(
    config: ml_collections.ConfigDict,
    workdir: str,
    method: method_lib.Method,
    devices: Sequence[jax.Device] | None = None,
) -> dict[str, float]:
  """Trains `config` in `workdir`, resuming from its newest checkpoint.

  `devices` restricts the mesh to some devices (default: all of them).
  """
  return Trainer(config, workdir, method, devices).run()
