"""TPU knobs of the shared encoder: remat policies, scan, attention, bf16.

Each knob changes the program, not the function: the same params give the
same loss and gradients as the plain fp32 / no-remat / no-scan / flax
attention path (fp32 to 1e-5; bf16 compute to a bf16 tolerance).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision.models import fused_attention
from jaxvision.models import remat
from jaxvision.models import transformer

DEPTH, WIDTH, HEADS = 3, 32, 4


def _encoder(**knobs):
  return transformer.Encoder(
      depth=DEPTH, num_heads=HEADS, head_dim=WIDTH // HEADS, mlp_dim=64, **knobs
  )


def _inputs():
  x = jax.random.normal(jax.random.key(1), (2, 6, WIDTH))
  valid = jnp.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
  return x, valid


def _loss_and_grads(model, params):
  x, valid = _inputs()

  def loss(p):
    y = model.apply({"params": p}, x, valid)
    return jnp.mean(jnp.square(y.astype(jnp.float32) - 0.5))

  return jax.value_and_grad(loss)(params)


@pytest.fixture(scope="module")
def reference():
  x, valid = _inputs()
  params = _encoder().init(jax.random.key(0), x, valid)["params"]
  return params, _loss_and_grads(_encoder(), params)


def _assert_close(actual, expected, tol):
  loss, grads = actual
  np.testing.assert_allclose(loss, expected[0], rtol=tol, atol=tol)
  for a, b in zip(jax.tree.leaves(grads), jax.tree.leaves(expected[1])):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("policy", [True, "full", "dots", "dots_no_batch"])
def test_remat_policies_keep_loss_and_grads(reference, policy):
  params, expected = reference
  _assert_close(_loss_and_grads(_encoder(remat=policy), params), expected, 1e-5)


@pytest.mark.parametrize("policy", [False, "dots"])
def test_scan_keeps_loss_and_grads(reference, policy):
  params, expected = reference
  stacked = transformer.stack_blocks(params)
  loss, grads = _loss_and_grads(_encoder(scan=True, remat=policy), stacked)
  _assert_close((loss, transformer.unstack_blocks(grads)), expected, 1e-5)


def test_scan_layout_round_trips_and_matches_init_shapes(reference):
  params, _ = reference
  x, valid = _inputs()
  scanned = jax.eval_shape(
      _encoder(scan=True).init, jax.random.key(0), x, valid
  )["params"]
  stacked = transformer.stack_blocks(params)
  assert jax.tree.map(lambda a: a.shape, scanned) == jax.tree.map(
      lambda a: a.shape, stacked
  )
  assert jax.tree.leaves(scanned["encoderblock"])[0].shape[0] == DEPTH
  back = transformer.unstack_blocks(stacked)
  for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(params)):
    np.testing.assert_array_equal(a, b)


def test_xla_attention_matches_flax(reference):
  params, expected = reference
  _assert_close(
      _loss_and_grads(_encoder(attention="xla"), params), expected, 1e-5
  )


def test_bf16_compute_with_fp32_params_is_close(reference):
  params, expected = reference
  loss, grads = _loss_and_grads(_encoder(dtype=jnp.bfloat16), params)
  assert all(g.dtype == jnp.float32 for g in jax.tree.leaves(grads))
  np.testing.assert_allclose(loss, expected[0], rtol=2e-2)


def test_bad_knob_values_are_clear_errors():
  with pytest.raises(ValueError, match="remat policy"):
    remat.policy_name("everything")
  with pytest.raises(ValueError, match="attention implementation"):
    fused_attention.check("flash2")
