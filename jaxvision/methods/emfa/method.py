"""EMA-Net on the engine (spec: shared/specs/emfa_soccer.md; seed 002 ch. 2).

Two roles: `backbone` (the shared ViT feature extractor, or both ViTs when
`model.backbone.share=False`) and `model` (motion module, aggregation,
head). They take separate optimizers, so the spec's smaller learning rate for
the pretrained ViT, or `name='frozen'`, is a per-role optimizer setting. The
only loss is cross-entropy over the softmax (Eq. 2.8), end to end.
"""

import jax
import jax.numpy as jnp
import optax

from jaxvision.core import method as method_lib
from jaxvision.methods.emfa import data
from jaxvision.methods.emfa import evaluate as evaluate_lib
from jaxvision.methods.emfa import model as model_lib
from jaxvision.methods.emfa import pretrained

BACKBONE = "backbone"


def build(config) -> model_lib.EMANet:
  model_lib.check_config(config.model)
  return model_lib.EMANet(config.model, len(data.class_names(config)))


def dummy_inputs(config, batch: int = 1):
  size, frames = config.preprocess.image_size, config.preprocess.num_frames
  return (
      jnp.zeros((batch, size, size), jnp.float32),
      jnp.zeros((batch, frames, size, size), jnp.float32),
      jnp.ones((batch, frames), bool),
  )


def split_roles(params) -> dict:
  """{'backbone': ViT subtrees, 'model': the rest} (top-level names)."""
  backbone = {k: v for k, v in params.items() if k.endswith(BACKBONE)}
  return {
      BACKBONE: backbone,
      "model": {k: v for k, v in params.items() if k not in backbone},
  }


def merge_roles(roles) -> dict:
  return {k: v for role in roles.values() for k, v in role.items()}


def init(ctx, rng):
  config = ctx.config
  params = build(config).init(
      {"params": rng, "dropout": rng}, *dummy_inputs(config)
  )["params"]
  if config.model.backbone.init_path:
    params = pretrained.load_into(params, config.model.backbone.init_path)
  return split_roles(params)


def make_train_step(ctx):
  config = ctx.config
  net = build(config)
  smoothing = config.get("label_smoothing", 0.0)
  num_classes = len(data.class_names(config))

  def loss_fn(trainable, frozen, batch, rng):
    params = merge_roles({**frozen, **trainable})
    logits = net.apply(
        {"params": params},
        batch["energy"],
        batch["mask_seq"],
        batch["frame_valid"],
        train=True,
        rngs={"dropout": rng},
    )
    targets = optax.smooth_labels(
        jax.nn.one_hot(batch["label"], num_classes), smoothing
    )
    loss = optax.softmax_cross_entropy(logits, targets).mean()
    accuracy = jnp.mean(jnp.argmax(logits, -1) == batch["label"])
    return loss, {"accuracy": accuracy}

  def train_step(state, batch, rng):
    (loss, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params, state.frozen, batch, rng
    )
    state = state.apply_gradients(grads)
    return state, {"loss": loss, **metrics}

  return train_step


def flops_fns(ctx):
  """One clip's forward pass (1 energy image + T mask frames)."""
  net = build(ctx.config)
  params = merge_roles(jax.eval_shape(lambda: init(ctx, jax.random.key(0))))
  inputs = jax.eval_shape(lambda: dummy_inputs(ctx.config))

  def forward(p, energy, masks, valid):
    return net.apply({"params": p}, energy, masks, valid)

  return {"clip": (forward, (params, *inputs))}


def abstract_batch(ctx):
  """The global training batch (`data.py`): energy [B, S, S], mask_seq
  [B, T, S, S] in [0, 1], frame_valid [B, T], label [B]."""
  batch = ctx.stage.batch_size
  energy, masks, valid = jax.eval_shape(lambda: dummy_inputs(ctx.config, batch))
  return {
      "energy": energy,
      "mask_seq": masks,
      "frame_valid": valid,
      "label": jax.ShapeDtypeStruct((batch,), jnp.int32),
  }


def eval_fns(ctx, batch):
  """The held-out split's forward (`evaluate.predict_split`) on `batch`."""
  net = build(ctx.config)
  params = merge_roles(jax.eval_shape(lambda: init(ctx, jax.random.key(0))))
  inputs = jax.eval_shape(lambda: dummy_inputs(ctx.config, batch))

  def forward(p, energy, masks, valid):
    return net.apply({"params": p}, energy, masks, valid)

  return {"clip": (forward, (params,), inputs)}


METHOD = method_lib.Method(
    name="emfa",
    init=init,
    make_train_step=make_train_step,
    make_train_data=data.make_train_data,
    evaluate=evaluate_lib.evaluate,
    flops_fns=flops_fns,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
