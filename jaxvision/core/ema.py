"""An exponential moving average (EMA) of a role's weights, in its optimizer.

Latent diffusion code (CompVis `LitEma`, used by LD-ZNet) trains the raw
weights and evaluates an EMA of them: it starts equal to the weights and after
the n-th optimizer update (n = 1, 2, ...) becomes

  decay_n = min(decay, (1 + n) / (10 + n))   (warm-up on; else decay)
  ema = decay_n * ema + (1 - decay_n) * params   (params after the update)

The EMA lives in the optimizer state (`with_param_ema` wraps any optax
transformation), so the train step needs no change, it is sharded like the
rest of the optimizer state and checkpoints save and restore it with the
state. `for_evaluation` swaps it in where a state is evaluated.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxvision.core import state as state_lib


class ParamEmaState(NamedTuple):
  """The wrapped optimizer's state and the EMA of the params.

  Attributes:
    inner: state of the wrapped transformation.
    count: number of updates so far (int32 scalar).
    ema: the EMA, a pytree like the params with the same dtypes.
  """

  inner: optax.OptState
  count: jax.Array
  ema: optax.Params


def with_param_ema(
    tx: optax.GradientTransformation, decay: float, warmup: bool = True
) -> optax.GradientTransformationExtraArgs:
  """`tx` that also keeps an EMA of the params after each of its updates.

  Args:
    tx: the optimizer; its updates are returned unchanged.
    decay: EMA decay in (0, 1), e.g. 0.9999.
    warmup: use min(decay, (1 + n) / (10 + n)) at the n-th update, as LitEma.

  Returns:
    A transformation whose `update` needs `params` (the params the updates
    apply to) and forwards extra arguments to `tx`.
  """
  inner = optax.with_extra_args_support(tx)

  def init(params):
    # NOTE: a copy, not the params' own buffers: the train step donates the
    # whole state, and XLA refuses to donate one buffer twice.
    return ParamEmaState(
        inner=inner.init(params),
        count=jnp.zeros([], jnp.int32),
        ema=jax.tree.map(jnp.copy, params),
    )

  def update(updates, state, params=None, **extra_args):
    if params is None:
      raise ValueError(
          "with_param_ema needs the params to average: call "
          "update(updates, state, params)."
      )
    updates, inner_state = inner.update(
        updates, state.inner, params, **extra_args
    )
    new_params = optax.apply_updates(params, updates)
    count = optax.safe_increment(state.count)
    rate = jnp.asarray(decay, jnp.float32)
    if warmup:
      n = count.astype(jnp.float32)
      rate = jnp.minimum(rate, (1.0 + n) / (10.0 + n))
    ema = jax.tree.map(
        lambda e, p: (rate * e + (1.0 - rate) * p).astype(e.dtype),
        state.ema,
        new_params,
    )
    return updates, ParamEmaState(inner=inner_state, count=count, ema=ema)

  return optax.GradientTransformationExtraArgs(init, update)


def evaluation_params(state: state_lib.TrainState) -> dict[str, Any]:
  """Role -> the params to evaluate: the EMA where the role keeps one."""
  return {
      role: (
          state.opt_state[role].ema
          if isinstance(state.opt_state.get(role), ParamEmaState)
          else params
      )
      for role, params in state.params.items()
  }


def for_evaluation(state: state_lib.TrainState) -> state_lib.TrainState:
  """`state` with each role's evaluation params (EMA or raw) as its params."""
  return state.replace(params=evaluation_params(state))
