"""jaxvision.core.optim: schedules, weight-decay and freeze masks, and the
per-role optimizers a stage's `optim` config builds, against hand-computed
numbers."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from jaxvision.core import optim


def _cfg(**kw):
  return ml_collections.ConfigDict(kw)


def _params():
  return {
      "dense": {"kernel": jnp.ones((2, 2)), "bias": jnp.ones((2,))},
      "temperature": jnp.ones(()),
  }


def _step(cfg, params, grads, steps=10):
  tx, _ = optim.make(cfg, steps)
  updates, _ = tx.update(grads, tx.init(params), params)
  return updates


@pytest.mark.parametrize(
    "decay, step, expected",
    [
        ("linear", 0, 0.0),
        ("linear", 5, 0.5),
        ("linear", 10, 1.0),
        ("linear", 60, 0.5),
        ("linear", 110, 0.0),
        ("cosine", 10, 1.0),
        ("cosine", 60, 0.5),
        ("cosine", 110, 0.0),
        ("constant", 10, 1.0),
        ("constant", 110, 1.0),
    ],
)
def test_warmup_then_decay(decay, step, expected):
  sched = optim.schedule(_cfg(lr=1.0, warmup_steps=10, decay=decay), 110)
  np.testing.assert_allclose(float(sched(step)), expected, atol=1e-6)


def test_decay_to_end_lr_without_warmup():
  sched = optim.schedule(_cfg(lr=1.0, end_lr=0.1), 10)
  np.testing.assert_allclose(
      [float(sched(s)) for s in (0, 5, 10)], [1.0, 0.55, 0.1], rtol=1e-6
  )
  cosine = optim.schedule(_cfg(lr=1.0, end_lr=0.1, decay="cosine"), 10)
  np.testing.assert_allclose(float(cosine(10)), 0.1, rtol=1e-6)


def test_unknown_decay_suggests_the_close_name():
  with pytest.raises(ValueError, match="Did you mean 'cosine'"):
    optim.schedule(_cfg(lr=1.0, decay="cosin"), 10)


def test_path_mask_matches_paths_else_default():
  mask = optim.path_mask(_params(), "dense/b", default=lambda n, x: x.ndim < 1)
  assert mask == {"dense": {"kernel": False, "bias": True}, "temperature": True}
  none = optim.path_mask(_params(), None, default=lambda n, x: False)
  assert not any(jax.tree.leaves(none))


def test_sgd_update_is_minus_lr_times_grad():
  grads = jax.tree.map(lambda x: 2.0 * x, _params())
  updates = _step(_cfg(name="sgd", lr=0.1, decay="constant"), _params(), grads)
  for u in jax.tree.leaves(updates):
    np.testing.assert_allclose(u, -0.2, rtol=1e-6)


def test_weight_decay_skips_biases_and_scalars_by_default():
  zero = jax.tree.map(jnp.zeros_like, _params())
  updates = _step(
      _cfg(name="sgd", lr=0.1, decay="constant", weight_decay=0.5),
      _params(),
      zero,
  )
  # lr_scaled: update = -lr * wd * w on matrices only.
  np.testing.assert_allclose(updates["dense"]["kernel"], -0.05, rtol=1e-6)
  np.testing.assert_allclose(updates["dense"]["bias"], 0.0)
  np.testing.assert_allclose(updates["temperature"], 0.0)


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("lr_scaled", -0.1 * 0.5),
        ("schedule_scaled", -0.5 * 0.1 / 0.1),
        ("absolute", -0.5),
    ],
)
def test_weight_decay_modes(mode, expected):
  zero = jax.tree.map(jnp.zeros_like, _params())
  updates = _step(
      _cfg(
          name="sgd", lr=0.1, decay="constant", weight_decay=0.5, wd_mode=mode
      ),
      _params(),
      zero,
  )
  np.testing.assert_allclose(updates["dense"]["kernel"], expected, rtol=1e-6)


def test_wd_exclude_adds_to_the_default_exclusions():
  zero = jax.tree.map(jnp.zeros_like, _params())
  updates = _step(
      _cfg(
          name="sgd",
          lr=0.1,
          decay="constant",
          weight_decay=0.5,
          wd_exclude="kernel",
      ),
      _params(),
      zero,
  )
  assert all(float(jnp.abs(u).max()) == 0.0 for u in jax.tree.leaves(updates))


def test_freeze_gives_zero_updates_to_matching_params():
  grads = jax.tree.map(jnp.ones_like, _params())
  updates = _step(
      _cfg(name="adam", lr=0.1, decay="constant", freeze="^dense/"),
      _params(),
      grads,
  )
  np.testing.assert_allclose(updates["dense"]["kernel"], 0.0)
  np.testing.assert_allclose(updates["dense"]["bias"], 0.0)
  # Adam's first step is -lr * sign(grad) (up to eps).
  np.testing.assert_allclose(updates["temperature"], -0.1, rtol=1e-5)


def test_grad_clip_norm_bounds_the_global_norm():
  grads = jax.tree.map(lambda x: 10.0 * jnp.ones_like(x), _params())
  updates = _step(
      _cfg(name="sgd", lr=1.0, decay="constant", grad_clip_norm=1.0),
      _params(),
      grads,
  )
  np.testing.assert_allclose(float(optax.global_norm(updates)), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", ["adafactor", "adam", "adamw", "sgd"])
def test_every_optimizer_builds_and_descends(name):
  params = {"w": jnp.array([[3.0, -2.0], [1.0, 4.0]])}
  tx, _ = optim.make(_cfg(name=name, lr=0.1, decay="constant"), 100)
  state = tx.init(params)
  loss = lambda p: jnp.sum(p["w"] ** 2)
  start = loss(params)
  for _ in range(5):
    updates, state = tx.update(jax.grad(loss)(params), state, params)
    params = optax.apply_updates(params, updates)
  assert loss(params) < start


def test_bad_optimizer_configs_are_rejected():
  with pytest.raises(ValueError, match="Did you mean 'adafactor'"):
    optim.make(_cfg(name="adafactr", lr=0.1), 10)
  with pytest.raises(ValueError, match="Unknown optimizer 'frozen'"):
    optim.make(_cfg(name="frozen", lr=0.1), 10)
  with pytest.raises(ValueError, match="ema_decay must lie in"):
    optim.make(_cfg(name="sgd", lr=0.1, ema_decay=1.5), 10)
  with pytest.raises(ValueError, match="Unknown wd_mode"):
    optim.make(_cfg(name="sgd", lr=0.1, weight_decay=0.1, wd_mode="x"), 10)


def test_one_optimizer_config_trains_every_role():
  cfg = _cfg(name="sgd", lr=0.1)
  txs, scheds = optim.per_role(cfg, ["gen", "disc"], 10)
  assert list(txs) == ["gen", "disc"] and list(scheds) == ["gen", "disc"]
  assert optim.trained_roles(cfg, ["gen", "disc"]) == {"gen", "disc"}
  assert optim.trained_roles(_cfg(name="frozen"), ["gen"]) == set()


def test_per_role_configs_with_a_frozen_role():
  cfg = ml_collections.ConfigDict(
      {
          "gen": {"name": "adam", "lr": 1e-4, "decay": "constant"},
          "disc": {"name": "sgd", "lr": 0.5, "warmup_steps": 4},
          "teacher": {"name": "frozen"},
      }
  )
  roles = ["teacher", "disc", "gen"]
  txs, scheds = optim.per_role(cfg, roles, 8)
  assert list(txs) == ["disc", "gen"]  # the roles' order, frozen left out
  assert optim.trained_roles(cfg, roles) == {"disc", "gen"}
  np.testing.assert_allclose(float(scheds["gen"](5)), 1e-4, rtol=1e-6)
  np.testing.assert_allclose(float(scheds["disc"](2)), 0.25, rtol=1e-6)


def test_per_role_rejects_unknown_and_missing_roles():
  with pytest.raises(ValueError, match=r"unknown roles \['critic'\]"):
    optim.per_role(
        ml_collections.ConfigDict(
            {
                "gen": {"name": "sgd", "lr": 0.1},
                "critic": {"name": "sgd", "lr": 0.1},
            }
        ),
        ["gen"],
        10,
    )
  with pytest.raises(
      ValueError, match=r"No optimizer config for roles " r"\['disc'\]"
  ):
    optim.per_role(
        ml_collections.ConfigDict({"gen": {"name": "sgd", "lr": 0.1}}),
        ["gen", "disc"],
        10,
    )


def test_count_params_works_on_abstract_trees():
  tree = {"a": jax.ShapeDtypeStruct((3, 4), jnp.float32), "b": jnp.zeros((5,))}
  assert optim.count_params(tree) == 17


def test_bad_optimizer_config_is_an_input_error_exit_2():
  from jaxvision import errors  # pylint: disable=g-import-not-at-top
  from jaxvision import user_errors  # pylint: disable=g-import-not-at-top

  with pytest.raises(user_errors.InvalidValueError) as caught:
    optim.make(_cfg(name="adamm", lr=1e-3), 10)
  assert errors.exit_code(caught.value) == 2
