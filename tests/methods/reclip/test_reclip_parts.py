"""RECLIP pieces: global-batch InfoNCE, pos-emb transition, masking."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P

from jaxvision import config_lib
from jaxvision.core import method as method_lib
from jaxvision.core import sharding
from jaxvision.methods.reclip import losses
from jaxvision.methods.reclip import method


def _numpy_infonce(p, q, scale):
  logits = scale * p @ q.T

  def ce(l):
    l = l - l.max(1, keepdims=True)
    logp = l - np.log(np.exp(l).sum(1, keepdims=True))
    return -np.mean(np.diag(logp))

  return (ce(logits) + ce(logits.T)) / 2


def _embeddings(b=16, e=8, seed=0):
  rng = np.random.default_rng(seed)
  p, q = rng.normal(size=(b, e)), rng.normal(size=(b, e))
  p /= np.linalg.norm(p, axis=1, keepdims=True)
  q /= np.linalg.norm(q, axis=1, keepdims=True)
  return p.astype(np.float32), q.astype(np.float32)


def test_infonce_matches_hand_computation():
  p, q = _embeddings()
  loss, _ = losses.infonce(jnp.asarray(p), jnp.asarray(q), jnp.log(10.0))
  assert float(loss) == pytest.approx(_numpy_infonce(p, q, 10.0), rel=1e-5)


@pytest.mark.parametrize("num_devices", [2, 8])
def test_sharded_global_batch_loss_and_grads_match_one_device(num_devices):
  p, q = _embeddings()
  mesh = sharding.make_mesh({"data": -1}, jax.devices()[:num_devices])
  batch = NamedSharding(mesh, P(sharding.BATCH_AXES))

  def loss(p, q):
    return losses.infonce(p, q, jnp.log(10.0), mesh)[0]

  sharded = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(
      jax.device_put(p, batch), jax.device_put(q, batch)
  )
  single = jax.value_and_grad(
      lambda p, q: losses.infonce(p, q, jnp.log(10.0))[0], argnums=(0, 1)
  )(jnp.asarray(p), jnp.asarray(q))
  np.testing.assert_allclose(sharded[0], single[0], rtol=1e-5)
  for a, b in zip(sharded[1], single[1]):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
  # The per-device (local-batch) loss differs: the denominators are global.
  local = _numpy_infonce(p[: 16 // num_devices], q[: 16 // num_devices], 10.0)
  assert abs(float(sharded[0]) - local) > 1e-3


def _smoke_contexts(tmp_path, **overrides):
  args = [f"data.data_dir={tmp_path}"] + [
      f"{k}={v}" for k, v in overrides.items()
  ]
  config = config_lib.load_config("configs/reclip/smoke.py", args)
  return method_lib.stage_contexts(config, sharding.make_mesh(None))


def test_transition_upsamples_posemb_into_a_larger_parameter(tmp_path):
  low, high = _smoke_contexts(tmp_path)
  params = method.init(low, jax.random.key(0))
  table = params["model"]["image_tower"]["pos_embedding"]
  assert table.shape == (4, 4, 64)
  new = method.transition(low, high, params)
  new_table = new["model"]["image_tower"]["pos_embedding"]
  assert new_table.shape == (8, 8, 64)
  # Bilinear, half-pixel centres: the mean is kept and corners follow the
  # old corners.
  np.testing.assert_allclose(
      new_table.mean((0, 1)), table.mean((0, 1)), atol=1e-6
  )
  np.testing.assert_allclose(new_table[0, 0], table[0, 0], atol=1e-6)
  expected = jax.eval_shape(lambda: method.init(high, jax.random.key(0)))
  assert jax.tree.map(lambda x: x.shape, new) == jax.tree.map(
      lambda x: x.shape, expected
  )


def test_interpolate_on_the_fly_keeps_one_table(tmp_path):
  low, high = _smoke_contexts(
      tmp_path, **{"model.posemb.mode": "interpolate_on_the_fly"}
  )
  shapes = [
      jax.eval_shape(lambda c=c: method.init(c, jax.random.key(0)))["model"][
          "image_tower"
      ]["pos_embedding"].shape
      for c in (low, high)
  ]
  assert shapes == [(4, 4, 64), (4, 4, 64)]


def test_masking_keeps_k_distinct_tokens(tmp_path):
  low, _ = _smoke_contexts(
      tmp_path, **{"stages.0.image_size": 32, "stages.0.mask_keep_tokens": 16}
  )
  keep = method._keep_indices(low, jax.random.key(1), 4)  # pylint: disable=protected-access
  assert keep.shape == (4, 16)
  assert all(len(set(row)) == 16 for row in np.asarray(keep).tolist())
  assert int(keep.max()) < 64
