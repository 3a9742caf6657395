"""SharinGAN on the engine (spec: shared/specs/sharingan.md; seed 000 ch. 2).

Roles: `gen` (G, the SharinGAN module's generator), `critic` (D, image-level
WGAN-GP critic) and `task` (T: depth UNet or SfSNet); the face task adds
`teacher`, a fixed copy of the Stage-B task net that produces the real
images' pseudo-labels. BatchNorm statistics are each role's model state
(see `model.py`). The config's stages are
the paper's phases, each with its own optimizers: `autoencoder` (G as an
identity auto-encoder), `task_pretrain` (T on synthetic data) and `joint`
(D x k_critic -> G x k_gen -> T in one jitted step, `step.py`).
"""

import jax
import jax.numpy as jnp

from jaxvision.core import method as method_lib
from jaxvision.core import state as state_lib
from jaxvision.data import faces
from jaxvision.methods.sharingan import data
from jaxvision.methods.sharingan import evaluate as evaluate_lib
from jaxvision.methods.sharingan import model as model_lib
from jaxvision.methods.sharingan import predictor
from jaxvision.methods.sharingan import step


def _example(ctx, batch: int = 1) -> jax.Array:
  return jnp.zeros(
      (batch, ctx.config.data.height, ctx.config.data.width, 3), jnp.float32
  )


def has_teacher(config) -> bool:
  return (
      config.task == "face_normals"
      and config.data.get("real_labels", "pseudo") == "pseudo"
  )


def _variables(ctx: method_lib.StageContext, rng: jax.Array) -> dict:
  """{role: flax variables} of G, T, D (and the face task's teacher)."""
  nets = model_lib.build(ctx.config)
  gen_rng, task_rng, critic_rng = jax.random.split(rng, 3)
  x = _example(ctx)
  roles = {
      "gen": model_lib.init_variables(nets.gen, gen_rng, x),
      "task": model_lib.init_variables(nets.task, task_rng, x),
      "critic": model_lib.init_variables(nets.critic, critic_rng, x),
  }
  if has_teacher(ctx.config):
    roles["teacher"] = roles["task"]
  return roles


def init(ctx: method_lib.StageContext, rng: jax.Array):
  return state_lib.split_variables(_variables(ctx, rng))


def transition(prev_ctx, ctx, roles):
  """Entering the face joint stage: freeze a copy of T as the teacher (the
  engine applies this to the params and to the BatchNorm statistics)."""
  del prev_ctx
  if has_teacher(ctx.config) and ctx.stage.phase == "joint":
    return {**roles, "teacher": roles["task"]}
  return roles


def flops_fns(ctx):
  """One-example forward passes: inference T(G(x)) and the critic."""
  nets = model_lib.build(ctx.config)
  variables = jax.eval_shape(lambda: _variables(ctx, jax.random.key(0)))
  x = jax.eval_shape(lambda: _example(ctx))

  def inference(p, image):
    _, shared = nets.gen.apply(p["gen"], image, train=False)
    return nets.task.apply(p["task"], shared, train=False)

  def critic(p, image):
    return nets.critic.apply(p, image, train=False)

  return {
      "inference": (inference, (variables, x)),
      "critic": (critic, (variables["critic"], x)),
  }


def abstract_batch(ctx):
  """The global training batch (`data.py`): `syn_*` and `real_*` streams of
  `stage.batch_size` examples each, as `data.make_train_data` zips them
  (task pretraining reads no real stream; `use_syn` / `use_real` drop one).

  Depth: images [B, H, W, 3], synthetic depth [B, H, W, 1], the real right
  view and its focal x baseline fb [B]. Faces: images, masks [B, S, S, 1],
  normals and albedos [B, S, S, 3], the SH lighting coefficients [B, 27].
  """
  config, batch = ctx.config, ctx.stage.batch_size
  d = config.data
  spec = lambda *shape: jax.ShapeDtypeStruct((batch,) + shape, jnp.float32)
  image = spec(d.height, d.width, 3)
  if config.task == "face_normals":
    syn = {
        "image": image,
        "mask": spec(d.height, d.width, 1),
        "normal": image,
        "albedo": image,
        "light": spec(faces.NUM_LIGHT),
    }
    real = {"image": image, "mask": spec(d.height, d.width, 1)}
  else:
    syn = {"image": image, "depth": spec(d.height, d.width, 1)}
    real = {"image": image, "right": image, "fb": spec()}
  out = {}
  if d.use_syn:
    out.update({f"syn_{k}": v for k, v in syn.items()})
  if d.use_real and ctx.stage.phase != "task_pretrain":
    out.update({f"real_{k}": v for k, v in real.items()})
  return out


def eval_fns(ctx, batch):
  """The evaluation / predict forward T(G(x)) on `batch` images."""
  nets = model_lib.build(ctx.config)
  variables = jax.eval_shape(lambda: _variables(ctx, jax.random.key(0)))
  x = jax.eval_shape(lambda: _example(ctx, batch))

  def inference(gen, task, image):
    _, shared = nets.gen.apply(gen, image, train=False)
    return nets.task.apply(task, shared, train=False)

  return {"inference": (inference, (variables["gen"], variables["task"]), (x,))}


METHOD = method_lib.Method(
    name="sharingan",
    init=init,
    make_train_step=step.make_train_step,
    make_train_data=data.make_train_data,
    evaluate=evaluate_lib.evaluate,
    transition=transition,
    flops_fns=flops_fns,
    predict=predictor.predict,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
