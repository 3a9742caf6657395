"""EMA of the trained weights: LitEma's schedule, config keys, the engine."""

import dataclasses

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from jaxvision.core import ema
from jaxvision.core import method as method_lib
from jaxvision.core import optim
from jaxvision.core import sharding
from jaxvision.core import train
from tests.core import fake_method
from tests.core import test_train
from tests.methods import engine_checks


def _params():
  return {
      "a": jnp.array([1.0, -2.0, 0.5]),
      "b": {"c": jnp.array([[0.1, 0.2], [0.3, -0.4]])},
  }


def _grads(k: int):
  rng = np.random.default_rng(k)
  return jax.tree.map(
      lambda p: jnp.asarray(rng.normal(size=p.shape), p.dtype), _params()
  )


@pytest.mark.parametrize("warmup", [True, False])
def test_ema_follows_litema_recurrence_and_keeps_inner_updates(warmup):
  # decay 0.3 with warm-up: (1 + n) / (10 + n) is below it for n <= 2 only,
  # so both sides of the min are taken.
  decay, steps = 0.3, 5
  inner = optax.adam(0.1)
  tx = ema.with_param_ema(inner, decay, warmup=warmup)
  params = plain_params = _params()
  state, plain_state = tx.init(params), inner.init(params)
  expected = jax.tree.map(lambda p: np.asarray(p, np.float64), params)
  for n in range(1, steps + 1):
    updates, state = jax.jit(tx.update)(_grads(n), state, params)
    plain_updates, plain_state = jax.jit(inner.update)(
        _grads(n), plain_state, plain_params
    )
    jax.tree.map(np.testing.assert_array_equal, plain_updates, updates)
    params = optax.apply_updates(params, updates)
    plain_params = optax.apply_updates(plain_params, plain_updates)
    rate = min(decay, (1 + n) / (10 + n)) if warmup else decay
    expected = jax.tree.map(
        lambda e, p, r=rate: r * e + (1 - r) * p, expected, params
    )
  jax.tree.map(np.testing.assert_array_equal, plain_state, state.inner)
  assert int(state.count) == steps
  jax.tree.map(
      lambda e, x: np.testing.assert_allclose(x, e, rtol=1e-6),
      expected,
      state.ema,
  )
  jax.tree.map(
      lambda p, e: np.testing.assert_equal(p.dtype, e.dtype), params, state.ema
  )


def test_update_without_params_is_a_clear_error():
  tx = ema.with_param_ema(optax.sgd(0.1), 0.9)
  with pytest.raises(ValueError, match="needs the params"):
    tx.update(_grads(0), tx.init(_params()))


def test_ema_buffers_are_not_the_params_so_both_can_be_donated():
  params = _params()
  state = ema.with_param_ema(optax.sgd(0.1), 0.9).init(params)
  # Donating one buffer twice is an error, e.g. if the ema aliased params.
  step = jax.jit(
      lambda p, s: (jax.tree.map(lambda x: x + 1, p), s), donate_argnums=(0, 1)
  )
  step(params, state)


def _optim(**keys) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(dict(name="sgd", lr=0.5, **keys))


def test_optimizer_config_keys():
  for bad in (1.5, 1.0, -0.1):
    with pytest.raises(ValueError, match="ema_decay"):
      optim.make(_optim(ema_decay=bad), 10)
  params = _params()
  for off in ({}, {"ema_decay": None}, {"ema_decay": 0.0}):
    tx, _ = optim.make(_optim(**off), 10)
    assert not isinstance(tx.init(params), ema.ParamEmaState)
  # No warm-up: the first update gives decay * p0 + (1 - decay) * p1; with
  # `freeze` the wrapped chain is a multi_transform and frozen leaves' EMA
  # stays equal to them.
  tx, _ = optim.make(_optim(ema_decay=0.75, ema_warmup=False, freeze="^b/"), 10)
  state = tx.init(params)
  assert isinstance(state, ema.ParamEmaState)
  updates, state = tx.update(_grads(1), state, params)
  new = optax.apply_updates(params, updates)
  np.testing.assert_allclose(
      state.ema["a"], 0.75 * params["a"] + 0.25 * new["a"], rtol=1e-6
  )
  np.testing.assert_array_equal(state.ema["b"]["c"], params["b"]["c"])
  assert not np.allclose(state.ema["a"], new["a"])


def _ema_config(**overrides) -> ml_collections.ConfigDict:
  """The fake two-stage run with an EMA (decay low enough to move in 20
  steps) on both stages' optimizers."""
  cfg = fake_method.config(**overrides)
  for stage in cfg.stages:
    stage.optim.ema_decay = 0.9
  return cfg


def test_engine_evaluates_ema_and_carries_raw_params(tmp_path):
  seen = {"evaluate": {}, "transition": []}

  def evaluate(ctx, state):
    seen["evaluate"][ctx.last_step] = jax.device_get(state.params)
    return fake_method.evaluate(ctx, state)

  def transition(prev_ctx, ctx, params):
    seen["transition"].append(jax.device_get(params))
    return fake_method.transition(prev_ctx, ctx, params)

  method = dataclasses.replace(
      fake_method.METHOD, evaluate=evaluate, transition=transition
  )
  cfg = _ema_config()
  # Stage "first" starts from the jitted init, "second" from the first's
  # params through `_from_params`; each step donates the state, which fails
  # if two of its leaves (an EMA and its params) share a buffer.
  train.train(cfg, str(tmp_path), method)
  mesh = sharding.make_mesh(cfg.mesh)
  for ctx in method_lib.stage_contexts(cfg, mesh):
    build = train.build_stage(method, ctx)
    state = build.from_checkpoint(
        test_train.final_params(
            tmp_path, ctx.last_step, like=build.abstract.checkpointed()
        )
    )
    evaluated = ema.evaluation_params(state)
    jax.tree.map(
        np.testing.assert_array_equal,
        evaluated,
        seen["evaluate"][ctx.last_step],
    )
    raw = state.params["model"]["Dense_0"]["kernel"]
    assert not np.allclose(evaluated["model"]["Dense_0"]["kernel"], raw)
    if ctx.index == 0:
      jax.tree.map(
          np.testing.assert_array_equal, state.params, seen["transition"][0]
      )


def test_resume_reproduces_ema(tmp_path):
  # Resumed from step 16 (inside stage "second"): the compared end state's
  # opt_state holds the EMA and its update count (8 updates in "second").
  engine_checks.assert_resume_matches(
      _ema_config(), fake_method.METHOD, tmp_path
  )
  saved = engine_checks.saved_state(tmp_path / "run", 20)
  kept = saved["opt_state"]["model"]
  assert int(kept["count"]) == 8
  assert jax.tree_util.tree_structure(
      kept["ema"]
  ) == jax.tree_util.tree_structure(saved["params"]["model"])


def test_one_and_eight_devices_agree_with_ema(tmp_path):
  engine_checks.assert_devices_agree(
      _ema_config(), fake_method.METHOD, tmp_path, mesh={"data": 4, "fsdp": 2}
  )
