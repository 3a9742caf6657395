"""BiConvLSTM violence detection as plain functions on the engine.

Spec: shared/specs/biconvlstm_violence.md (dissertation 000, app. A). One
role, "model"; its BatchNorm statistics (when the classifier has BatchNorm)
are the role's model state. A run
trains on every fold but `eval.fold` and evaluates on it; `crossval.py` runs
all folds and reports the dissertation's protocols.

Optimiser (A.5): Adam with betas (0.5, 0.99), lr 1e-6, weight decay 0.1 as
*coupled* L2 (PyTorch `Adam(weight_decay=...)`: wd * w added to the
gradient before the Adam moments, for every parameter). `loss.l2` adds
0.5 * l2 * |w|^2 to the loss, whose gradient is exactly that; the stage's
optimizer then has no weight decay of its own (set `optim.weight_decay`
and `loss.l2=0` for the AdamW ablation).
"""

import jax
import jax.numpy as jnp
import optax

from jaxvision.core import method as method_lib
from jaxvision.core import state as state_lib
from jaxvision.methods.violence import data
from jaxvision.methods.violence import evaluate as evaluate_lib
from jaxvision.methods.violence import model as model_lib
from jaxvision.weights import torchvision


def _dummy_frames(config, batch: int = 1):
  d = config.data
  return jnp.zeros(
      (batch, d.num_frames, d.frame_size, d.frame_size, 3), jnp.float32
  )


def _with_pretrained(config, variables: dict) -> dict:
  """Swaps the trunk's variables for torchvision ImageNet weights."""
  path = config.model.backbone_cfg.pretrained_path
  if not path:
    return variables
  loaded = torchvision.load_vgg(path, config.model.backbone)
  out = {k: dict(v) for k, v in variables.items()}
  for collection, values in loaded.items():
    out[collection]["backbone"] = jax.tree.map(jnp.asarray, values)
  return out


def _variables(ctx, rng):
  """The model's flax variables, with the pretrained trunk where set."""
  net = model_lib.build(ctx.config)
  variables = net.init(rng, _dummy_frames(ctx.config), train=False)
  return _with_pretrained(ctx.config, dict(variables))


def init(ctx, rng):
  return state_lib.split_variables({"model": _variables(ctx, rng)})


def _l2(params) -> jax.Array:
  return sum(jnp.sum(jnp.square(p)) for p in jax.tree.leaves(params))


def make_train_step(ctx):
  net = model_lib.build(ctx.config)
  l2 = float(ctx.config.loss.l2)

  def train_step(state, batch, rng):
    del rng  # no dropout, no sampling
    collections = state.model_state.get("model", {})

    def objective(params):
      logits, updates = net.apply(
          state_lib.merge_variables(params, collections),
          batch["frames"],
          train=True,
          mutable=list(collections),
      )
      ce = optax.softmax_cross_entropy_with_integer_labels(
          logits, batch["label"]
      ).mean()
      accuracy = jnp.mean(jnp.argmax(logits, -1) == batch["label"])
      loss = ce + 0.5 * l2 * _l2(params) if l2 else ce
      return loss, ({"cross_entropy": ce, "accuracy": accuracy}, updates)

    (loss, (metrics, updates)), grads = jax.value_and_grad(
        objective, has_aux=True
    )(state.params["model"])
    state = state.apply_gradients({"model": grads})
    if collections:
      state = state.update_model_state("model", updates)
    return state, {"loss": loss, **metrics}

  return train_step


def flops_fns(ctx):
  """One clip's forward pass, for the flops command."""
  variables = jax.eval_shape(lambda: _variables(ctx, jax.random.key(0)))
  frames = jax.eval_shape(lambda: _dummy_frames(ctx.config))
  return {"clip": (evaluate_lib.predict_fn(ctx.config), (variables, frames))}


def abstract_batch(ctx):
  """The global training batch: frames [B, T, S, S, 3] in [0, 1], labels."""
  frames = jax.eval_shape(
      lambda: _dummy_frames(ctx.config, ctx.stage.batch_size)
  )
  return {
      "frames": frames,
      "label": jax.ShapeDtypeStruct((ctx.stage.batch_size,), jnp.int32),
  }


def eval_fns(ctx, batch):
  """The held-out fold's forward (eval-mode BatchNorm) on `batch` clips."""
  variables = jax.eval_shape(lambda: _variables(ctx, jax.random.key(0)))
  frames = jax.eval_shape(lambda: _dummy_frames(ctx.config, batch))
  return {
      "clip": (evaluate_lib.predict_fn(ctx.config), (variables,), (frames,))
  }


METHOD = method_lib.Method(
    name="violence",
    init=init,
    make_train_step=make_train_step,
    make_train_data=data.make_train_data,
    evaluate=evaluate_lib.evaluate,
    flops_fns=flops_fns,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
