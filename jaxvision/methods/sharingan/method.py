"""SharinGAN on the engine (spec: shared/specs/sharingan.md; seed 000 ch. 2).

Roles: `gen` (G, the SharinGAN module's generator), `critic` (D, image-level
WGAN-GP critic) and `task` (T: depth UNet or SfSNet); the face task adds
`teacher`, a fixed copy of the Stage-B task net that produces the real
images' pseudo-labels. Each role's params are the module's variables
(weights + BatchNorm statistics, see `model.py`). The config's stages are
the paper's phases, each with its own optimizers: `autoencoder` (G as an
identity auto-encoder), `task_pretrain` (T on synthetic data) and `joint`
(D x k_critic -> G x k_gen -> T in one jitted step, `step.py`).
"""

import jax
import jax.numpy as jnp

from jaxvision.core import method as method_lib
from jaxvision.methods.sharingan import data
from jaxvision.methods.sharingan import evaluate as evaluate_lib
from jaxvision.methods.sharingan import model as model_lib
from jaxvision.methods.sharingan import predictor
from jaxvision.methods.sharingan import step


def _example(ctx, batch: int = 1) -> jax.Array:
  return jnp.zeros((batch, ctx.config.data.height, ctx.config.data.width, 3),
                   jnp.float32)


def has_teacher(config) -> bool:
  return (config.task == "face_normals" and
          config.data.get("real_labels", "pseudo") == "pseudo")


def init(ctx: method_lib.StageContext, rng: jax.Array) -> dict:
  nets = model_lib.build(ctx.config)
  gen_rng, task_rng, critic_rng = jax.random.split(rng, 3)
  x = _example(ctx)
  params = {"gen": model_lib.init_variables(nets.gen, gen_rng, x),
            "task": model_lib.init_variables(nets.task, task_rng, x),
            "critic": model_lib.init_variables(nets.critic, critic_rng, x)}
  if has_teacher(ctx.config):
    params["teacher"] = params["task"]
  return params


def transition(prev_ctx, ctx, params):
  """Entering the face joint stage: freeze a copy of T as the teacher."""
  del prev_ctx
  if has_teacher(ctx.config) and ctx.stage.phase == "joint":
    return {**params, "teacher": params["task"]}
  return params


def flops_fns(ctx):
  """One-example forward passes: inference T(G(x)) and the critic."""
  nets = model_lib.build(ctx.config)
  params = jax.eval_shape(lambda: init(ctx, jax.random.key(0)))
  x = jax.eval_shape(lambda: _example(ctx))

  def inference(p, image):
    _, shared = nets.gen.apply(p["gen"], image, train=False)
    return nets.task.apply(p["task"], shared, train=False)

  def critic(p, image):
    return nets.critic.apply(p, image, train=False)

  return {"inference": (inference, (params, x)),
          "critic": (critic, (params["critic"], x))}


METHOD = method_lib.Method(
    name="sharingan", init=init, make_train_step=step.make_train_step,
    make_train_data=data.make_train_data, evaluate=evaluate_lib.evaluate,
    transition=transition, flops_fns=flops_fns, predict=predictor.predict)
