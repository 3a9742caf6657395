"""The MDE (vKITTI -> KITTI) train step phases (spec 4.3, 4.6, 5.1)."""

import jax
import jax.numpy as jnp

from jaxvision.methods.sharingan import adversarial
from jaxvision.methods.sharingan import losses
from jaxvision.methods.sharingan import model as model_lib
from jaxvision.methods.sharingan import step_common


class DepthStep(step_common.StepBase):
  """MDE (vKITTI -> KITTI): L_T = b1 L_DS + b2 L_1 + b3 L_GC (Eq 2.8)."""

  def task_terms(self, task_vars, batch, syn_sh, real_sh):
    """(weighted L_T, its parts, T variables) with T in train mode."""
    cfg = self.loss_cfg
    terms, total = {}, 0.0
    if syn_sh is not None:
      preds, task_vars = model_lib.apply(
          self.nets.task, task_vars, syn_sh, True
      )
      terms["l1"] = losses.supervised_l1(preds, batch["syn_depth"])
      total = total + cfg.beta_l1 * terms["l1"]
    if real_sh is not None and (cfg.beta_gc or cfg.beta_ds):
      preds, task_vars = model_lib.apply(
          self.nets.task, task_vars, real_sh, True
      )
      terms["gc"] = losses.geometric_consistency(
          preds,
          batch["real_image"],
          batch["real_right"],
          batch["real_fb"],
          self.config.data.max_depth,
          cfg.ssim_eta,
          cfg.l1_mu,
      )
      terms["ds"] = losses.smoothness(
          preds, batch["real_image"], cfg.smooth_scale_weighting
      )
      total = total + cfg.beta_gc * terms["gc"] + cfg.beta_ds * terms["ds"]
    return total, terms, task_vars

  def task_pretrain(self, state, batch):
    task_vars = state.variables("task")

    def objective(params):
      v = step_common.with_params(task_vars, params)
      preds, v = model_lib.apply(self.nets.task, v, batch["syn_image"], True)
      l1 = jnp.mean(jnp.abs(preds[-1] - batch["syn_depth"]))
      return l1, v

    (loss, v), grads = jax.value_and_grad(objective, has_aux=True)(
        task_vars["params"]
    )
    return (
        step_common.apply_role_update(state, "task", grads, v),
        {"loss": loss},
    )

  def _translate(self, gen_vars, batch):
    syn = real = None
    if "syn_image" in batch:
      syn, gen_vars = self.shared(gen_vars, batch["syn_image"])
    if "real_image" in batch:
      real, gen_vars = self.shared(gen_vars, batch["real_image"])
    return syn, real, gen_vars

  def joint(self, state, batch, rng):
    metrics = {}
    adapt = self.use_gen and "syn_image" in batch and "real_image" in batch
    if adapt:
      syn_sh, real_sh, _ = self._translate(state.variables("gen"), batch)
      state, critic_metrics = self.critic_updates(
          state,
          jax.lax.stop_gradient(syn_sh),
          jax.lax.stop_gradient(real_sh),
          rng,
      )
      metrics.update(critic_metrics)
      for _ in range(self.config.adv.k_gen):
        state, gen_metrics = self._generator_update(state, batch)
      metrics.update(gen_metrics)
    syn_sh, real_sh, _ = self._translate(state.variables("gen"), batch)
    syn_sh, real_sh = jax.tree.map(jax.lax.stop_gradient, (syn_sh, real_sh))
    task_vars = state.variables("task")

    def task_objective(params):
      v = step_common.with_params(task_vars, params)
      total, terms, v = self.task_terms(v, batch, syn_sh, real_sh)
      return total, (v, terms)

    (loss, (v, terms)), grads = jax.value_and_grad(
        task_objective, has_aux=True
    )(task_vars["params"])
    state = step_common.apply_role_update(state, "task", grads, v)
    return state, {"loss": loss, **terms, **metrics}

  def _generator_update(self, state, batch):
    cfg = self.loss_cfg
    gen_vars = state.variables("gen")

    def objective(params):
      syn_sh, real_sh, v = self._translate(
          step_common.with_params(gen_vars, params), batch
      )
      adv = adversarial.generator_adversarial(
          self.nets.critic, state.variables("critic"), syn_sh, real_sh
      )
      rec = losses.reconstruction(
          syn_sh, batch["syn_image"]
      ) + losses.reconstruction(real_sh, batch["real_image"])
      task, _, _ = self.task_terms(
          state.variables("task"), batch, syn_sh, real_sh
      )
      total = cfg.alpha_adv * adv + cfg.alpha_rec * rec + cfg.alpha_task * task
      return total, (v, {"gen_loss": total, "gen_adv": adv, "gen_rec": rec})

    (_, (v, metrics)), grads = jax.value_and_grad(objective, has_aux=True)(
        gen_vars["params"]
    )
    return step_common.apply_role_update(state, "gen", grads, v), metrics
