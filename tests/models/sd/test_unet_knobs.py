"""SD UNet program knobs: remat policies and the attention switch keep the
loss and gradients of the default path (same params)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision.models.sd import unet as unet_lib

TINY = unet_lib.UNetConfig(
    model_channels=32,
    channel_mult=(1, 2),
    num_res_blocks=1,
    attention_levels=(0, 1),
    num_heads=4,
    context_dim=16,
    groups=8,
)


def _inputs():
  keys = jax.random.split(jax.random.key(3), 2)
  x = jax.random.normal(keys[0], (2, 8, 8, 4))
  context = jax.random.normal(keys[1], (2, 5, 16))
  return x, jnp.array([10, 500]), context


def _loss_and_grads(config, params):
  x, t, context = _inputs()

  def loss(p):
    out = unet_lib.UNet(config).apply({"params": p}, x, t, context)
    return jnp.mean(jnp.square(out))

  return jax.value_and_grad(loss)(params)


@pytest.fixture(scope="module")
def reference():
  params = unet_lib.UNet(TINY).init(jax.random.key(0), *_inputs())["params"]
  return params, _loss_and_grads(TINY, params)


@pytest.mark.parametrize(
    "knobs",
    [
        dict(remat="full"),
        dict(remat="dots"),
        dict(attention="xla"),
        dict(remat="dots_no_batch", attention="flax"),
    ],
)
def test_knobs_keep_loss_and_grads(reference, knobs):
  params, (loss, grads) = reference
  config = dataclasses.replace(TINY, **knobs)
  got_loss, got_grads = _loss_and_grads(config, params)
  np.testing.assert_allclose(got_loss, loss, rtol=1e-5)
  for a, b in zip(jax.tree.leaves(got_grads), jax.tree.leaves(grads)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_architecture_ignores_program_knobs():
  knobbed = dataclasses.replace(TINY, remat="full", attention="xla")
  assert knobbed != TINY
  assert knobbed.architecture() == TINY.architecture() == TINY
