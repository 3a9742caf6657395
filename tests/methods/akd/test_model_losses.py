"""AKD-GAN networks, Grad-CAM attention and losses."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.core import optim
from jaxvision.methods.akd import attention
from jaxvision.methods.akd import losses
from jaxvision.methods.akd import model as model_lib


def _count(module, *args):
  params = jax.eval_shape(module.init, jax.random.key(0), *args)
  return optim.count_params(params)


def test_table_4_1_generator_sizes_and_disc_outputs():
  x = jax.ShapeDtypeStruct((1, 128, 128, 3), jnp.float32)
  c = jax.ShapeDtypeStruct((1, 5), jnp.float32)
  assert _count(model_lib.Generator(64, 6), x, c) == 8_430_528  # T, S
  assert _count(model_lib.Generator(32, 3), x, c) == 1_231_840  # Lite-S
  disc = model_lib.Discriminator(128, 64, 5, 6)
  params = jax.eval_shape(disc.init, jax.random.key(0), x)
  src, cls = jax.eval_shape(
      disc.apply, params, jax.ShapeDtypeStruct((2, 128, 128, 3), jnp.float32)
  )
  assert src.shape == (2, 2, 2, 1) and cls.shape == (2, 5)


def _tiny(seed=0):
  gen = model_lib.Generator(4, 2)
  disc = model_lib.Discriminator(16, 4, 3, 3)
  params = model_lib.init_params(gen, disc, jax.random.key(seed), 16, 3)
  x = jax.random.uniform(jax.random.key(seed + 1), (3, 16, 16, 3), minval=-1)
  c = jnp.asarray([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
  return gen, disc, params, x, c


def test_features_tail_compose_to_call():
  gen, _, params, x, c = _tiny()
  p = {"params": params["gen"]}
  full = gen.apply(p, x, c)
  for block in (0, 1, -1, -2):
    f = gen.apply(p, x, c, block, method=model_lib.Generator.features)
    np.testing.assert_allclose(
        gen.apply(p, f, block, method=model_lib.Generator.tail),
        full,
        rtol=1e-5,
        atol=1e-5,
    )


def test_attention_shape_nonneg_and_per_sample_independence():
  gen, disc, params, x, c = _tiny()
  maps = attention.attention_maps(
      gen, disc, params["gen"], params["disc"], x, c
  )
  assert maps.shape == (3, 3, 4, 4)
  assert bool(jnp.all(maps >= 0)) and bool(jnp.all(jnp.isfinite(maps)))
  assert float(maps.sum()) > 0
  x2 = x.at[2].set(-x[2])
  maps2 = attention.attention_maps(
      gen, disc, params["gen"], params["disc"], x2, c
  )
  np.testing.assert_allclose(maps2[:2], maps[:2], rtol=1e-5, atol=1e-6)
  assert not np.allclose(maps2[2], maps[2])


def test_attention_matches_per_sample_gradcam():
  gen, disc, params, x, c = _tiny()
  maps = attention.attention_maps(
      gen, disc, params["gen"], params["disc"], x, c
  )
  i, k = 1, 2
  f = gen.apply(
      {"params": params["gen"]},
      x[i : i + 1],
      c[i : i + 1],
      method=model_lib.Generator.features,
  )

  def score(f):
    fake = gen.apply(
        {"params": params["gen"]}, f, method=model_lib.Generator.tail
    )
    return disc.apply({"params": params["disc"]}, fake)[1][0, k]

  alpha = jax.grad(score)(f).mean(axis=(1, 2))[0]
  expected = jax.nn.relu(jnp.einsum("n,hwn->hw", alpha, f[0]))
  np.testing.assert_allclose(maps[i, k], expected, rtol=1e-4, atol=1e-6)


def test_second_order_path_changes_gradients():
  gen, disc, params, x, c = _tiny()
  target = jnp.ones((3, 3, 4, 4)) * 0.1

  def loss(gp, detach):
    maps = attention.attention_maps(
        gen, disc, gp, params["disc"], x, c, detach_alpha=detach
    )
    return losses.akd(target, maps, jnp.arange(3), jnp.ones((3, 3)))

  full = jax.grad(loss)(params["gen"], False)
  first = jax.grad(loss)(params["gen"], True)
  norms = [float(optax_norm(full)), float(optax_norm(first))]
  assert norms[0] > 0 and norms[1] > 0
  diff = jax.tree.map(lambda a, b: jnp.abs(a - b).max(), full, first)
  assert max(float(v) for v in jax.tree.leaves(diff)) > 1e-7


def optax_norm(tree):
  return jnp.sqrt(sum(jnp.sum(v**2) for v in jax.tree.leaves(tree)))


def test_gradient_penalty_is_zero_for_unit_norm_linear_critic():
  w = jax.random.normal(jax.random.key(0), (4 * 4 * 3,))
  w = w / jnp.linalg.norm(w)
  x = jax.random.normal(jax.random.key(1), (5, 4, 4, 3))
  penalty = losses.gradient_penalty(
      lambda z: (z.reshape(len(z), -1) @ w)[:, None], x
  )
  assert abs(float(penalty)) < 1e-10
  doubled = losses.gradient_penalty(
      lambda z: 2.0 * (z.reshape(len(z), -1) @ w)[:, None], x
  )
  np.testing.assert_allclose(doubled, 1.0, rtol=1e-5)


def test_classification_sums_over_attributes():
  logits = jnp.zeros((2, 5))
  labels = jnp.ones((2, 5))
  np.testing.assert_allclose(
      losses.classification(logits, labels, "multi"), 5 * np.log(2), rtol=1e-6
  )
  np.testing.assert_allclose(
      losses.classification(logits, jnp.eye(5)[:2], "single"),
      np.log(5),
      rtol=1e-6,
  )


def test_akd_loss_hand_values_and_pairs():
  t = jnp.zeros((1, 2, 2, 2)).at[0, 0].set(3.0).at[0, 1].set(1.0)
  s = jnp.zeros((1, 3, 2, 2))
  # Frobenius of a 2x2 map of 3s is 6; of 1s is 2.
  np.testing.assert_allclose(
      losses.akd(t, s[:, :2], jnp.arange(2), jnp.ones((1, 2))), 4.0
  )
  # Pseudo: student 0 <- teacher 1, student 1 unpaired, student 2 <- 0.
  np.testing.assert_allclose(
      losses.akd(t, s, jnp.asarray([1, -1, 0]), jnp.ones((1, 3))), 4.0
  )
  np.testing.assert_allclose(
      losses.akd(
          t, s, jnp.asarray([1, -1, 0]), jnp.ones((1, 3)), norm="l1_mean"
      ),
      2.0,
  )
  zero = jax.grad(
      lambda s: losses.akd(
          s[:, :2] * 0, s[:, :2] * 0, jnp.arange(2), jnp.ones((1, 2))
      )
  )(s)
  assert bool(jnp.all(jnp.isfinite(zero)))


def test_init_schemes():
  assert isinstance(model_lib.kernel_init("torch_default"), object)
  try:
    model_lib.kernel_init("xavier")
  except ValueError as e:
    assert "torch_default" in str(e)
  else:
    raise AssertionError("unknown init accepted")
