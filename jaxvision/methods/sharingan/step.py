"""SharinGAN's train step: one jitted step per stage phase (spec 4.6, 5).

`stage.phase` picks what a step does (see `step_common`): `autoencoder`
(Stage A), `task_pretrain` (Stage B) or `joint` (Stage C: D x k_critic, then
G x k_gen, then T, all inside this one step). `config.task` picks the depth or
the face-normal losses.
"""

from jaxvision.core import method as method_lib
from jaxvision.methods.sharingan import depth_step
from jaxvision.methods.sharingan import face_step

PHASES = ("autoencoder", "task_pretrain", "joint")


def make_train_step(ctx: method_lib.StageContext):
  """The stage's pure train step `(state, batch, rng) -> (state, metrics)`."""
  phase = ctx.stage.get("phase", "joint")
  if phase not in PHASES:
    raise ValueError(f"stages.{ctx.index}.phase={phase!r}; valid: {PHASES}.")
  if ctx.config.task == "face_normals":
    step = face_step.FaceStep(ctx)
  else:
    step = depth_step.DepthStep(ctx)
  if phase == "autoencoder":
    return lambda state, batch, rng: step.autoencoder(state, batch)
  if phase == "task_pretrain":
    return lambda state, batch, rng: step.task_pretrain(state, batch)
  return step.joint
