"""The FNE (synthetic faces -> CelebA) train step phases (spec 4.4, 4.6, 5.2).

Real faces are supervised with pseudo-labels (normal, albedo, light) from
the Stage-B task net, kept fixed in the `teacher` role: `method.transition`
copies `task` into it when the joint stage starts, so the labels are those of
"a pre-trained task network" (TEXT) and survive a resume. A joint step reads
1 + k_gen + 1 fresh sub-batches from one global batch of that many times the
per-update batch: critic, k_gen generator updates, task update.
"""

import jax

from jaxvision.methods.sharingan import adversarial
from jaxvision.methods.sharingan import losses
from jaxvision.methods.sharingan import model as model_lib
from jaxvision.methods.sharingan import step_common

LABELS = ("normal", "albedo", "light", "mask")


class FaceStep(step_common.StepBase):
  """SfSNet supervision (Eq 2.9) on syn labels and real pseudo-labels."""

  def _sfs(self, outputs, batch, domain, labels=None):
    target = labels or {k: batch[f"{domain}_{k}"] for k in LABELS}
    return losses.sfs(
        outputs, target, batch[f"{domain}_image"], dict(self.loss_cfg.sfs)
    )

  def pseudo_labels(self, state, batch):
    """The fixed teacher's (eval-mode) labels of the raw real images."""
    normal, albedo, light = self.nets.task.apply(
        state.variables("teacher"), batch["real_image"], train=False
    )
    return jax.lax.stop_gradient(
        {
            "normal": normal,
            "albedo": albedo,
            "light": light,
            "mask": batch["real_mask"],
        }
    )

  def task_pretrain(self, state, batch):
    task_vars = state.variables("task")

    def objective(params):
      v = step_common.with_params(task_vars, params)
      outputs, v = model_lib.apply(self.nets.task, v, batch["syn_image"], True)
      return self._sfs(outputs, batch, "syn"), v

    (loss, v), grads = jax.value_and_grad(objective, has_aux=True)(
        task_vars["params"]
    )
    return (
        step_common.apply_role_update(state, "task", grads, v),
        {"loss": loss},
    )

  def _task_loss(self, task_vars, batch, syn_sh, real_sh, pseudo):
    outputs, task_vars = model_lib.apply(
        self.nets.task, task_vars, syn_sh, True
    )
    syn = self._sfs(outputs, batch, "syn")
    outputs, task_vars = model_lib.apply(
        self.nets.task, task_vars, real_sh, True
    )
    real = self._sfs(outputs, batch, "real", pseudo)
    return syn + real, {"sfs_syn": syn, "sfs_real": real}, task_vars

  def _generator_update(self, state, batch):
    cfg = self.loss_cfg
    gen_vars = state.variables("gen")
    pseudo = self.pseudo_labels(state, batch)

    def objective(params):
      v = step_common.with_params(gen_vars, params)
      syn_sh, v = self.shared(v, batch["syn_image"])
      real_sh, v = self.shared(v, batch["real_image"])
      adv = adversarial.generator_adversarial(
          self.nets.critic, state.variables("critic"), syn_sh, real_sh
      )
      rec = losses.reconstruction(
          syn_sh, batch["syn_image"]
      ) + losses.reconstruction(real_sh, batch["real_image"])
      task, _, _ = self._task_loss(
          state.variables("task"), batch, syn_sh, real_sh, pseudo
      )
      total = cfg.alpha_adv * adv + cfg.alpha_rec * rec + cfg.alpha_task * task
      return total, (v, {"gen_loss": total, "gen_adv": adv, "gen_rec": rec})

    (_, (v, metrics)), grads = jax.value_and_grad(objective, has_aux=True)(
        gen_vars["params"]
    )
    return step_common.apply_role_update(state, "gen", grads, v), metrics

  def joint(self, state, batch, rng):
    k_gen = self.config.adv.k_gen
    parts = 2 + k_gen if self.use_gen else 1
    size = jax.tree.leaves(batch)[0].shape[0]
    if size % parts:
      raise ValueError(
          f"The face joint stage splits each batch into {parts} "
          f"sub-batches (critic, {k_gen} x G, T); batch_size "
          f"{size} is not divisible by {parts}."
      )
    chunk = size // parts
    subs = [
        jax.tree.map(lambda x, i=i: x[i * chunk : (i + 1) * chunk], batch)
        for i in range(parts)
    ]
    metrics = {}
    if self.use_gen:
      syn_sh, _ = self.shared(state.variables("gen"), subs[0]["syn_image"])
      real_sh, _ = self.shared(state.variables("gen"), subs[0]["real_image"])
      state, critic_metrics = self.critic_updates(
          state,
          jax.lax.stop_gradient(syn_sh),
          jax.lax.stop_gradient(real_sh),
          rng,
      )
      metrics.update(critic_metrics)
      for sub in subs[1 : 1 + k_gen]:
        state, gen_metrics = self._generator_update(state, sub)
      metrics.update(gen_metrics)
    sub = subs[-1]
    pseudo = self.pseudo_labels(state, sub)
    syn_sh, _ = self.shared(state.variables("gen"), sub["syn_image"])
    real_sh, _ = self.shared(state.variables("gen"), sub["real_image"])
    syn_sh, real_sh = jax.tree.map(jax.lax.stop_gradient, (syn_sh, real_sh))
    task_vars = state.variables("task")

    def objective(params):
      total, terms, v = self._task_loss(
          step_common.with_params(task_vars, params),
          sub,
          syn_sh,
          real_sh,
          pseudo,
      )
      return total, (v, terms)

    (loss, (v, terms)), grads = jax.value_and_grad(objective, has_aux=True)(
        task_vars["params"]
    )
    state = step_common.apply_role_update(state, "task", grads, v)
    return state, {"loss": loss, **terms, **metrics}
