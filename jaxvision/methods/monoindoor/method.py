"""MonoIndoor++ on the engine (spec: shared/specs/monoindoor_pp.md).

One role, "model", holds the params of every sub-network (depth, scale,
pose): one Adam updates all parameters jointly (spec 4). The BatchNorm
statistics are the role's model state, replaced by each step's new running
statistics. The paper's step schedule (1e-4, x0.1 at half the epochs) is
expressed as two stages with constant learning rates.
"""

import argparse
import glob
import os

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from jaxvision import visualize
from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.core import state as state_lib
from jaxvision.methods.monoindoor import data
from jaxvision.methods.monoindoor import evaluate as evaluate_lib
from jaxvision.methods.monoindoor import losses
from jaxvision.methods.monoindoor import model as model_lib
from jaxvision.methods.monoindoor import resnet_weights


def _module(ctx) -> model_lib.MonoIndoor:
  return model_lib.MonoIndoor(model_lib.from_config(ctx.config))


def _dummy(ctx, batch: int = 1):
  height, width = ctx.config.data.image_size
  if height % 32 or width % 32:
    raise ValueError(
        f"data.image_size={(height, width)}: height and width "
        "must be divisible by 32 (spec pitfall 18)."
    )
  return (
      jnp.zeros((batch, 3, height, width, 3), jnp.float32),
      jnp.broadcast_to(jnp.eye(3, dtype=jnp.float32), (batch, 3, 3)),
  )


def _variables(ctx, rng):
  """The model's flax variables, with the ImageNet encoders where set."""
  params_rng, dropout_rng = jax.random.split(rng)
  variables = _module(ctx).init(
      {"params": params_rng, "dropout": dropout_rng}, *_dummy(ctx)
  )
  return resnet_weights.maybe_load_pretrained(ctx.config, variables)


def init(ctx, rng):
  return state_lib.split_variables({"model": _variables(ctx, rng)})


def make_train_step(ctx):
  module = _module(ctx)
  loss_cfg = ctx.config.loss
  final_warp = ctx.config.model.residual_pose.final_warp
  losses.check_config(loss_cfg, final_warp)

  def train_step(state, batch, rng):
    collections = state.model_state["model"]
    dropout_rng, noise_rng = jax.random.split(rng)

    def objective(params):
      outputs, updates = module.apply(
          state_lib.merge_variables(params, collections),
          batch["frames_aug"],
          batch["K"],
          train=True,
          rngs={"dropout": dropout_rng},
          mutable=list(collections),
      )
      loss, metrics = losses.total_loss(
          outputs, batch["frames"], batch["K"], noise_rng, loss_cfg, final_warp
      )
      return loss, (metrics, updates)

    (loss, (metrics, updates)), grads = jax.value_and_grad(
        objective, has_aux=True
    )(state.params["model"])
    state = state.apply_gradients({"model": grads})
    return (
        state.update_model_state("model", updates),
        {"loss": loss, **metrics},
    )

  return train_step


def predict(ctx, state, argv):
  """Colour-mapped depth PNGs (and raw .npy depth) for images on disk.

  Usage: ... predict --config C --workdir W --image a.png [--image b.png]
         [--images_dir DIR] --out OUT
  """
  parser = argparse.ArgumentParser(prog="monoindoor predict")
  parser.add_argument("--image", action="append", default=[])
  parser.add_argument("--images_dir", default="")
  parser.add_argument("--out", required=True)
  args = parser.parse_args(argv)
  paths = list(args.image)
  if args.images_dir:
    paths += sorted(
        glob.glob(os.path.join(args.images_dir, "*.png"))
        + glob.glob(os.path.join(args.images_dir, "*.jpg"))
    )
  if not paths:
    raise ValueError("Give --image PATH (repeatable) or --images_dir DIR.")
  height, width = ctx.config.data.image_size
  images = []
  for path in paths:
    if not os.path.exists(path):
      raise FileNotFoundError(f"--image {path} does not exist.")
    image = (
        Image.open(path).convert("RGB").resize((width, height), Image.BILINEAR)
    )
    images.append(np.asarray(image, np.float32) / 255.0)
  run = inference.Replicated(jax.device_get(state.variables("model"))).jit(
      evaluate_lib.depth_fn(_module(ctx))
  )
  depths = run(np.stack(images))
  outputs = []
  for path, depth in zip(paths, depths):
    stem = os.path.splitext(os.path.basename(path))[0]
    png = os.path.join(args.out, f"{stem}_depth.png")
    visualize.save_png(png, visualize.depth_to_rgb(depth))
    np.save(os.path.join(args.out, f"{stem}_depth.npy"), depth)
    outputs.append(png)
  return {"depth_pngs": outputs}


def flops_fns(ctx):
  """Depth (+ scale) forward and the full pose forward for one example."""
  module = _module(ctx)
  variables = jax.eval_shape(lambda: _variables(ctx, jax.random.key(0)))
  frames, intrinsics = jax.eval_shape(lambda: _dummy(ctx))
  image = jax.ShapeDtypeStruct(
      frames.shape[:1] + frames.shape[2:], frames.dtype
  )
  return {
      "depth": (evaluate_lib.depth_fn(module), (variables, image)),
      "pose": (evaluate_lib.pose_fn(module), (variables, frames, intrinsics)),
  }


def abstract_batch(ctx):
  """The global training batch (`data.py`): frames and frames_aug
  [B, 3, H, W, 3] in [0, 1] (offsets -1, 0, +1), intrinsics K [B, 3, 3]."""
  frames, intrinsics = jax.eval_shape(lambda: _dummy(ctx, ctx.stage.batch_size))
  return {"frames": frames, "frames_aug": frames, "K": intrinsics}


def eval_fns(ctx, batch):
  """The evaluations' forwards on `batch` examples: depth of one image,
  and the composed pose of a triplet (`evaluate.depth_fn` / `pose_fn`)."""
  module = _module(ctx)
  variables = jax.eval_shape(lambda: _variables(ctx, jax.random.key(0)))
  frames, intrinsics = jax.eval_shape(lambda: _dummy(ctx, batch))
  image = jax.ShapeDtypeStruct(
      frames.shape[:1] + frames.shape[2:], frames.dtype
  )
  return {
      "depth": (evaluate_lib.depth_fn(module), (variables,), (image,)),
      "pose": (
          evaluate_lib.pose_fn(module),
          (variables,),
          (frames, intrinsics),
      ),
  }


METHOD = method_lib.Method(
    name="monoindoor",
    init=init,
    make_train_step=make_train_step,
    make_train_data=data.make_train_data,
    evaluate=evaluate_lib.evaluate,
    flops_fns=flops_fns,
    predict=predict,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
