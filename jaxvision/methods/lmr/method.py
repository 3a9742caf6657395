"""LMR as plain functions on the engine (spec: shared/specs/lmr_mesh.md).

One trainable role, "model": the part RNNs, shape MLP and camera module on
precomputed per-frame features (the frozen backbone is outside the graph).
SMPL arrays and mean parameters are constants. The loss (Eq 6.5) is on the
final refinement iteration unless `model.lmr.supervise_all_iters`. With
`config.lr_plateau`, each stage's updates are scaled by VIBE's plateau
schedule (`schedule.py`).
"""

import jax
import jax.numpy as jnp

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.methods.lmr import build
from jaxvision.methods.lmr import data
from jaxvision.methods.lmr import evaluate as evaluate_lib
from jaxvision.methods.lmr import geometry
from jaxvision.methods.lmr import losses
from jaxvision.methods.lmr import predict as predict_lib
from jaxvision.methods.lmr import schedule


def init(ctx, rng):
  config = ctx.config
  features = jnp.zeros((1, config.data.seq_len, config.data.feature_dim))
  params = build.build_model(config).init(
      {"params": rng, "dropout": rng},
      features,
      *build.placeholder_means(config),
      train=False,
  )["params"]
  return {"model": params}


def _check_joints(batch, joint_set: str):
  expected = {"lsp14": 14, "smpl24": 24}[joint_set]
  got = batch["kp3d"].shape[-2]
  if got != expected:
    raise user_errors.InvalidValueError(
        f"loss.joint_set={joint_set!r} needs {expected} label joints, the "
        f"data has {got}."
    )


def iteration_losses(config, body, out, batch):
  """Eq 6.5 for one iteration's outputs -> (total, {term: value})."""
  cfg = config.loss
  _, joints = body(out["rotmat"], out["betas"], cfg.joint_set)
  kp2d = geometry.project(joints, out["cam"], config.model.cam_model)
  frame_mask = batch["frame_mask"]
  gt2d = batch["kp2d"].at[..., 2].multiply(frame_mask[..., None])
  every = jnp.ones(frame_mask.shape[:1], bool)
  terms = {
      "loss_2d": losses.keypoints2d_loss(kp2d, gt2d, every),
      "loss_3d": losses.joints3d_loss(
          joints, batch["kp3d"], batch["w_3d"], cfg.joint_set, frame_mask
      ),
      "loss_smpl": losses.smpl_loss(
          out["rotmat"],
          out["betas"],
          batch["pose"],
          batch["shape"],
          batch["w_smpl"],
          cfg.smpl_form,
          cfg.w_pose,
          cfg.w_shape,
          frame_mask,
      ),
  }
  w_smpl = 1.0 if cfg.smpl_form == "vibe_mse" else cfg.w_smpl
  total = (
      cfg.w_2d * terms["loss_2d"]
      + cfg.w_3d * terms["loss_3d"]
      + w_smpl * terms["loss_smpl"]
  )
  return total, terms


def make_train_step(ctx):
  config = ctx.config
  model = build.build_model(config)
  body = data.assets(config)[1]
  mean = build.mean_inputs(config)
  all_iters = config.model.lmr.supervise_all_iters

  def loss_fn(params, batch, rng, state):
    del state
    _check_joints(batch, config.loss.joint_set)
    outs = model.apply(
        {"params": params},
        batch["features"],
        *mean,
        train=True,
        rngs={"dropout": rng},
    )
    supervised = outs if all_iters else outs[-1:]
    results = [iteration_losses(config, body, out, batch) for out in supervised]
    total = sum(r[0] for r in results) / len(results)
    terms = jax.tree.map(lambda *x: sum(x) / len(x), *[r[1] for r in results])
    return total, terms

  step = method_lib.simple_train_step(loss_fn)
  if not config.get("lr_plateau", None):
    return step
  scale = schedule.lr_scale(config, ctx)

  def scaled_step(state, batch, rng):
    new_state, metrics = step(state, batch, rng)
    params = jax.tree.map(
        lambda old, new: old + scale * (new - old),
        state.params,
        new_state.params,
    )
    return new_state.replace(params=params), {**metrics, "lr_scale": scale}

  return scaled_step


def flops_fns(ctx):
  """The regressor on one clip of precomputed features."""
  config = ctx.config
  model = build.build_model(config)
  params = jax.eval_shape(lambda: init(ctx, jax.random.key(0)))["model"]
  features = jax.ShapeDtypeStruct(
      (1, config.data.seq_len, config.data.feature_dim), jnp.float32
  )
  mean = jax.eval_shape(lambda: build.placeholder_means(config))

  def forward(p, x, pose, shape, cam):
    return model.apply({"params": p}, x, pose, shape, cam)[-1]

  return {"regressor": (forward, (params, features) + tuple(mean))}


def abstract_batch(ctx):
  """The global training batch of windows (`data.TRAIN_KEYS`): features
  [B, T, F], 2D / 3D joints of `loss.joint_set` [B, T, J, 3], SMPL pose
  (axis-angle) [B, T, 72] and shape [B, T, 10], frame_mask [B, T], and the
  per-window label flags w_smpl, w_3d [B]."""
  config = ctx.config
  batch, seq_len = ctx.stage.batch_size, config.data.seq_len
  joints = {"lsp14": 14, "smpl24": 24}[config.loss.joint_set]
  f32 = lambda *shape: jax.ShapeDtypeStruct(
      (batch, seq_len) + shape, jnp.float32
  )
  flag = jax.ShapeDtypeStruct((batch,), jnp.bool_)
  return {
      "features": f32(config.data.feature_dim),
      "kp2d": f32(joints, 3),
      "kp3d": f32(joints, 3),
      "pose": f32(72),
      "shape": f32(10),
      "frame_mask": jax.ShapeDtypeStruct((batch, seq_len), jnp.bool_),
      "w_smpl": flag,
      "w_3d": flag,
  }


def eval_fns(ctx, batch):
  """The evaluation forward (regressor + body mesh) on `batch` windows."""
  config = ctx.config
  params = jax.eval_shape(lambda: init(ctx, jax.random.key(0)))["model"]
  features = jax.ShapeDtypeStruct(
      (batch, config.data.seq_len, config.data.feature_dim), jnp.float32
  )
  return {"mesh": (evaluate_lib.forward_fn(config), (params,), (features,))}


METHOD = method_lib.Method(
    name="lmr",
    init=init,
    make_train_step=make_train_step,
    make_train_data=data.make_train_data,
    evaluate=evaluate_lib.evaluate,
    flops_fns=flops_fns,
    predict=predict_lib.predict,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
