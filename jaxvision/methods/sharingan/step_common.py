"""Plumbing shared by SharinGAN's depth and face train steps (spec 4.6, 5).

Phases (`stage.phase`, dispatched in `step.py`):
  autoencoder     Stage A: G <- MSE(G(x_s), x_s) + MSE(G(x_r), x_r).
  task_pretrain   Stage B: T on raw synthetic data (L1 on the finest depth
                  output; Eq 2.9 for faces).
  joint           Stage C, per iteration in this order:
                  1. D x k_critic on the same detached G(x_s), G(x_r):
                     mean D(real) - mean D(syn) + 10 GP;
                  2. G x k_gen: a1 L_W + a2 L_r + a3 L_T, T and D fixed but
                     differentiated through (pitfall 6);
                  3. T x 1 on stop_gradient(G(x)): L_T only (pitfall 7).
Every update is `state.apply_gradients({role: grads})` on one role. A network's
BatchNorm running statistics change only in its own update (spec 4.6
default); the other nets still run in train mode (batch statistics).
"""

from typing import Any

import jax
import jax.numpy as jnp

from jaxvision.core import method as method_lib
from jaxvision.core import state as state_lib
from jaxvision.methods.sharingan import adversarial
from jaxvision.methods.sharingan import losses
from jaxvision.methods.sharingan import model as model_lib


def apply_role_update(
    state: state_lib.TrainState,
    role: str,
    grads: Any,
    variables: model_lib.Variables,
) -> state_lib.TrainState:
  """Steps `role`'s optimizer on `grads` (its params' gradients) and stores
  the other collections of `variables` (the forward passes' new running
  averages) as its model state."""
  state = state.apply_gradients({role: grads})
  collections = {k: v for k, v in variables.items() if k != "params"}
  return state.update_model_state(role, collections) if collections else state


def with_params(variables, params):
  return {**variables, "params": params}


class StepBase:
  """Shared plumbing of the depth and face steps (nets, config, G forward)."""

  def __init__(self, ctx: method_lib.StageContext):
    self.config = ctx.config
    self.stage = ctx.stage
    self.nets = model_lib.build(ctx.config)
    self.loss_cfg = ctx.config.loss
    self.use_gen = ctx.config.model.use_generator

  def shared(self, gen_vars, x, train=True):
    """(G(x), gen variables); identity when `model.use_generator=False`."""
    if not self.use_gen:
      return x, gen_vars
    (_, out), gen_vars = model_lib.apply(self.nets.gen, gen_vars, x, train)
    return out, gen_vars

  def autoencoder(self, state, batch):
    gen_vars = state.variables("gen")

    def objective(params):
      v = with_params(gen_vars, params)
      total, metrics = 0.0, {}
      for domain in self.domains(batch):
        out, v = self.shared(v, batch[f"{domain}_image"])
        mse = losses.reconstruction(out, batch[f"{domain}_image"])
        metrics[f"recon_{domain}"] = mse
        total = total + mse
      return total, (v, metrics)

    (loss, (v, metrics)), grads = jax.value_and_grad(objective, has_aux=True)(
        gen_vars["params"]
    )
    state = apply_role_update(state, "gen", grads, v)
    return state, {"loss": loss, **metrics}

  def domains(self, batch) -> list[str]:
    return [d for d in ("syn", "real") if f"{d}_image" in batch]

  def critic_updates(self, state, syn_sh, real_sh, rng):
    """k_critic critic steps on fixed translated images (a fori_loop)."""
    critic = self.nets.critic
    adv = self.config.adv

    def body(i, carry):
      state, _ = carry
      variables = state.variables("critic")

      def objective(params):
        return adversarial.critic_loss(
            critic,
            with_params(variables, params),
            syn_sh,
            real_sh,
            jax.random.fold_in(rng, i),
            adv.gp_lambda,
        )

      (_, (v, metrics)), grads = jax.value_and_grad(objective, has_aux=True)(
          variables["params"]
      )
      return apply_role_update(state, "critic", grads, v), metrics

    zeros = {
        k: jnp.zeros((), jnp.float32)
        for k in ("critic_loss", "wasserstein", "gp")
    }
    return jax.lax.fori_loop(0, adv.k_critic, body, (state, zeros))
