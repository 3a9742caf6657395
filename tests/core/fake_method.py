"""A tiny fake method for engine tests: an MLP classifier on Gaussian blobs.

Uses dropout (so the per-step RNG matters), two stages with different
hidden sizes' inputs (stage 2 doubles the input dimension by repeating
features, exercising `transition`), and an in-memory iterator whose position
is saved as JSON. `batch_norm=True` adds a BatchNorm after the hidden layer,
whose statistics are the "model" role's model state.
"""

import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxvision import config_lib
from jaxvision.core import method as method_lib
from jaxvision.core import state as state_lib

NUM_CLASSES = 4


class Mlp(nn.Module):
  hidden: int
  dropout: float
  batch_norm: bool = False

  @nn.compact
  def __call__(self, x, *, train: bool):
    # NOTE: no bias before BatchNorm: its gradient is float noise around 0,
    # which Adam scales up to lr-sized steps of either sign, so 1 and 8
    # devices (other reduction orders) would part.
    x = nn.Dense(self.hidden, use_bias=not self.batch_norm)(x)
    if self.batch_norm:
      x = nn.BatchNorm(use_running_average=not train, momentum=0.8)(x)
    x = nn.relu(x)
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.Dense(NUM_CLASSES)(x)


def _model(ctx):
  return Mlp(
      hidden=ctx.config.hidden,
      dropout=ctx.config.dropout,
      batch_norm=ctx.config.get("batch_norm", False),
  )


def _dim(ctx) -> int:
  return ctx.stage.get("input_dim", 8)


def init(ctx, rng):
  x = jnp.zeros((1, _dim(ctx)), jnp.float32)
  if ctx.config.get("batch_norm", False):
    return state_lib.split_variables(
        {"model": _model(ctx).init(rng, x, train=False)}
    )
  roles = {"model": _model(ctx).init(rng, x, train=False)["params"]}
  if ctx.config.get("with_teacher", False):
    # A frozen role of the same architecture (e.g. a distillation teacher).
    roles["teacher"] = _model(ctx).init(
        jax.random.fold_in(rng, 1), x, train=False
    )["params"]
  return roles


def make_train_step(ctx):
  model = _model(ctx)
  nan_at = ctx.config.get("nan_at_step", -1)

  def logits_and_ce(params, batch, rng):
    logits = model.apply(
        {"params": params}, batch["x"], train=True, rngs={"dropout": rng}
    )
    return (
        logits,
        optax.softmax_cross_entropy_with_integer_labels(
            logits, batch["y"]
        ).mean(),
    )

  def loss_fn(params, batch, rng, state):
    logits, loss = logits_and_ce(params, batch, rng)
    loss = jnp.where(state.step == nan_at, jnp.nan, loss)
    if "teacher" in state.frozen:
      teacher = model.apply(
          {"params": state.frozen["teacher"]}, batch["x"], train=False
      )
      loss += 0.1 * jnp.mean((logits - teacher) ** 2)
    return loss, {"accuracy": jnp.mean(jnp.argmax(logits, -1) == batch["y"])}

  def teacher_loss_fn(params, batch, rng, state):
    del state
    return logits_and_ce(params, batch, rng)[1], {}

  model_step = method_lib.simple_train_step(loss_fn)
  teacher_step = method_lib.simple_train_step(teacher_loss_fn, "teacher")

  def batch_norm_step(state, batch, rng):
    collections = state.model_state["model"]

    def objective(params):
      logits, updates = model.apply(
          state_lib.merge_variables(params, collections),
          batch["x"],
          train=True,
          rngs={"dropout": rng},
          mutable=list(collections),
      )
      return (
          optax.softmax_cross_entropy_with_integer_labels(
              logits, batch["y"]
          ).mean(),
          updates,
      )

    (loss, updates), grads = jax.value_and_grad(objective, has_aux=True)(
        state.params["model"]
    )
    state = state.apply_gradients({"model": grads})
    return state.update_model_state("model", updates), {"loss": loss}

  if ctx.config.get("batch_norm", False):
    return batch_norm_step

  def train_step(state, batch, rng):
    state, metrics = model_step(state, batch, rng)
    if "teacher" in state.params:  # a stage that trains the teacher first
      state, _ = teacher_step(state, batch, jax.random.fold_in(rng, 1))
    return state, metrics

  return train_step


def _dataset(dim: int, n: int, seed: int):
  rng = np.random.default_rng(seed)
  centers = np.random.default_rng(123).normal(size=(NUM_CLASSES, 8)) * 2
  y = rng.integers(0, NUM_CLASSES, n)
  x = centers[y] + rng.normal(size=(n, 8))
  x = np.tile(x, (1, dim // 8)).astype(np.float32)
  return x, y.astype(np.int32)


class ArrayIterator:
  """Endless shuffled batches of in-memory arrays, sharded per process."""

  def __init__(self, x, y, batch_size: int, seed: int, sleep: float = 0.0):
    self.x, self.y, self.batch_size, self.seed = x, y, batch_size, seed
    self.sleep = sleep  # slows a run down so tests can interrupt it
    self.index = 0

  def __next__(self):
    n = len(self.x)
    per_epoch = n // (self.batch_size * jax.process_count())
    epoch, pos = divmod(self.index, per_epoch)
    order = np.random.default_rng([self.seed, epoch]).permutation(n)
    start = (pos * jax.process_count() + jax.process_index()) * self.batch_size
    idx = order[start : start + self.batch_size]
    self.index += 1
    time.sleep(self.sleep)
    return {"x": self.x[idx], "y": self.y[idx]}

  def get_state(self):
    return {"index": self.index}

  def set_state(self, state):
    self.index = state["index"]


def make_train_data(ctx, seed):
  x, y = _dataset(_dim(ctx), 2048, seed=0)
  return ArrayIterator(
      x,
      y,
      ctx.local_batch_size,
      seed,
      sleep=ctx.config.get("sleep_per_batch", 0.0),
  )


def evaluate(ctx, state, split="test"):
  x, y = _dataset(_dim(ctx), 512, seed={"test": 1, "validation": 2}[split])
  logits = _model(ctx).apply(state.variables("model"), x, train=False)
  results = {
      "accuracy": float(jnp.mean(jnp.argmax(logits, -1) == y)),
      "chance": 1.0 / NUM_CLASSES,
  }
  if split == "validation":
    # A metric that peaks mid-run (at step 8), for model-selection tests.
    results["peak_at_8"] = -abs(float(state.step) - 8)
  return results


def transition(prev_ctx, ctx, roles):
  """Input dim doubles: split the first layer's kernel over repeated inputs
  (the BatchNorm statistics, also passed here, stay as they are)."""
  factor = _dim(ctx) // _dim(prev_ctx)
  model = dict(roles["model"])
  if "Dense_0" not in model:
    return roles
  dense = dict(model["Dense_0"])
  dense["kernel"] = jnp.tile(dense["kernel"], (factor, 1)) / factor
  model["Dense_0"] = dense
  return {**roles, "model": model}


def flops_fns(ctx):
  model = _model(ctx)
  abstract_params = jax.eval_shape(lambda: init(ctx, jax.random.key(0)))
  x = jax.ShapeDtypeStruct((1, _dim(ctx)), jnp.float32)
  return {
      "mlp": (
          lambda p, x: model.apply({"params": p["model"]}, x, train=False),
          (abstract_params, x),
      )
  }


METHOD = method_lib.Method(
    name="fake",
    init=init,
    make_train_step=make_train_step,
    make_train_data=make_train_data,
    evaluate=evaluate,
    transition=transition,
    flops_fns=flops_fns,
)


def config(**overrides) -> ml_collections.ConfigDict:
  """Two stages of 12 + 8 steps, checkpoint every 4 steps."""
  optim = dict(name="adamw", lr=3e-3, warmup_steps=2, weight_decay=1e-4)
  cfg = ml_collections.ConfigDict(
      dict(
          method="tests.core.fake_method:METHOD",
          seed=0,
          hidden=32,
          dropout=0.1,
          log_every=4,
          nan_at_step=-1,
          sleep_per_batch=0.0,
          checkpoint=dict(every_steps=4, keep=10, async_save=True),
          mesh=dict(data=-1),
          stages=[
              dict(
                  name="first",
                  steps=12,
                  batch_size=32,
                  input_dim=8,
                  optim=optim,
              ),
              dict(
                  name="second",
                  steps=8,
                  batch_size=32,
                  input_dim=16,
                  optim=dict(optim, lr=1e-3),
              ),
          ],
      )
  )
  for key, value in overrides.items():
    cfg[key] = value
  return config_lib.normalize(cfg)


def get_config(arg=None):
  """For CLI tests: `--config tests/core/fake_method.py`."""
  del arg
  return config()
