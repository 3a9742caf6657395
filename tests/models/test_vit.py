"""Tests for the ViT image tower and 2-D positional-embedding resizing."""

import functools

import einops
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision.models import transformer
from jaxvision.models import vit

TINY = dict(patch_size=4, width=32, depth=2, num_heads=4, mlp_dim=64)


def _param_count(tree) -> int:
  return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(tree))


def _key(seed: int = 0) -> jax.Array:
  # NOTE: threefry init graphs take ~4x longer to compile on CPU than rbg
  # ones; the models do not depend on the key implementation.
  return jax.random.key(seed, impl='unsafe_rbg')


def _abstract_params(model, image_side: int):
  images = jax.ShapeDtypeStruct((1, image_side, image_side, 3), jnp.float32)
  return jax.eval_shape(model.init, _key(), images)


def _images(batch: int, side: int, seed: int = 0) -> np.ndarray:
  rng = np.random.default_rng(seed)
  return rng.standard_normal((batch, side, side, 3)).astype(np.float32)


def _apply(model, params, images, **kwargs):
  # NOTE: one jit compiles the whole graph once; eager op-by-op dispatch
  # compiles every new op shape/dtype separately and is several times slower.
  return jax.jit(functools.partial(model.apply, **kwargs))(params, images)


@pytest.fixture(scope='module')
def tiny():
  """A tiny ViT on a 4x4 patch grid (16 px images) and its parameters."""
  model = vit.ViT(**TINY, posemb_grid=(4, 4))
  params = jax.jit(model.init)(_key(), _images(2, 16))
  return model, params


def test_vit_l16_parameter_count_matches_table_3_3():
  model = vit.ViT(**vit.variant('L/16'), posemb_grid=(14, 14))
  count = _param_count(_abstract_params(model, 224))
  # Hand count: patch conv 16*16*3*1024 + 1024 = 787,456; posemb 196*1024 =
  # 200,704; per block 2 LNs 4,096 + attention 4*(1024*1024 + 1024) =
  # 4,198,400 + MLP 2*1024*4096 + 4096 + 1024 = 8,393,728 -> 12,596,224, times
  # 24 = 302,309,376; final LN 2,048.
  assert count == 303_299_584
  assert abs(count / 303e6 - 1) < 0.01
  # The method's Dense(1024 -> 1024, no bias) projection head adds 1,048,576.
  with_projection = count + 1024 * 1024
  assert with_projection == 304_348_160
  assert abs(with_projection / 303e6 - 1) < 0.01


def test_parameter_names_are_stable():
  params = _abstract_params(vit.ViT(**TINY, posemb_grid=(2, 2)), 8)['params']
  assert params['embedding']['kernel'].shape == (4, 4, 3, 32)
  assert params['pos_embedding'].shape == (2, 2, 32)
  block = params['Transformer']['encoderblock_1']
  attention = block['MultiHeadDotProductAttention_0']
  assert attention['query']['kernel'].shape == (32, 4, 8)
  assert attention['out']['kernel'].shape == (4, 8, 32)
  assert block['MlpBlock_0']['Dense_0']['kernel'].shape == (32, 64)
  assert set(block) == {
      'LayerNorm_0',
      'LayerNorm_1',
      'MultiHeadDotProductAttention_0',
      'MlpBlock_0',
  }
  assert 'encoder_norm' in params['Transformer']


def test_forward_shapes_and_bf16_compute(tiny):
  model, params = tiny
  images = _images(2, 16)
  out = _apply(model, params, images)
  assert out.shape == (2, 32) and out.dtype == jnp.float32
  assert np.all(np.isfinite(out))
  bf16 = vit.ViT(**TINY, posemb_grid=(4, 4), dtype=jnp.bfloat16)
  out_bf16 = _apply(bf16, params, images)
  assert out_bf16.dtype == jnp.bfloat16
  np.testing.assert_allclose(out_bf16.astype(jnp.float32), out, atol=0.1)
  tokens = _apply(
      vit.ViT(**TINY, posemb_grid=(4, 4), pool='none'), params, images
  )
  assert tokens.shape == (2, 16, 32)
  np.testing.assert_allclose(tokens.mean(axis=1), out, rtol=1e-5, atol=1e-6)


def test_init_statistics(tiny):
  params = tiny[1]['params']
  assert abs(float(jnp.std(params['pos_embedding'])) - 0.02) < 0.004
  mlp = params['Transformer']['encoderblock_0']['MlpBlock_0']
  assert np.all(mlp['Dense_0']['bias'] == 0)
  # xavier_uniform on (32, 64): bound sqrt(6 / 96) = 0.25.
  assert float(jnp.max(jnp.abs(mlp['Dense_0']['kernel']))) <= 0.25
  assert float(jnp.std(mlp['Dense_0']['kernel'])) > 0.1


def test_fixed_mode_rejects_other_grid(tiny):
  model, params = tiny
  with pytest.raises(ValueError, match='does not match the positional table'):
    model.apply(params, _images(1, 32))


def test_image_not_divisible_by_patch_raises(tiny):
  model, params = tiny
  with pytest.raises(ValueError, match='not divisible by patch size 4'):
    model.apply(params, _images(1, 18))


def test_unknown_options_suggest_fix(tiny):
  params = tiny[1]
  with pytest.raises(ValueError, match="Did you mean 'interpolate_on_the_fly'"):
    vit.ViT(**TINY, posemb_grid=(4, 4), posemb_mode='interpolate_on_fly').apply(
        params, _images(1, 16)
    )
  with pytest.raises(ValueError, match="Did you mean 'L/16'"):
    vit.variant('L16')
  assert vit.variant('B/16') == dict(
      patch_size=16, width=768, depth=12, num_heads=12, mlp_dim=3072
  )


def test_interpolate_on_the_fly_keeps_parameter_count(tiny):
  _, params = tiny
  model = vit.ViT(
      **TINY, posemb_grid=(4, 4), posemb_mode='interpolate_on_the_fly'
  )
  assert (
      _param_count(_abstract_params(model, 16))
      == _param_count(_abstract_params(model, 32))
      == _param_count(params)
  )
  # At the table's own grid it is the same function as 'fixed'.
  np.testing.assert_allclose(
      _apply(model, params, _images(2, 16)),
      _apply(tiny[0], params, _images(2, 16)),
      rtol=1e-6,
  )
  # At a larger grid it equals a fixed model given the resized table.
  resized = {'params': dict(params['params'])}
  resized['params']['pos_embedding'] = vit.resize_posemb(
      params['params']['pos_embedding'], (8, 8)
  )
  np.testing.assert_allclose(
      _apply(model, params, _images(2, 32)),
      _apply(vit.ViT(**TINY, posemb_grid=(8, 8)), resized, _images(2, 32)),
      rtol=1e-5,
      atol=1e-6,
  )


def test_resize_posemb_constant_and_ramp():
  constant = jnp.full((4, 4, 3), 0.7)
  for method in ('linear', 'cubic'):
    np.testing.assert_allclose(
        vit.resize_posemb(constant, (8, 8), method), 0.7, rtol=1e-6
    )
  ramp_1d = jnp.arange(4.0)
  table = (ramp_1d[:, None, None] + 10 * ramp_1d[None, :, None]) * jnp.ones(
      (1, 1, 2)
  )
  out = vit.resize_posemb(table, (8, 8))
  assert out.shape == (8, 8, 2)
  # Half-pixel centres: output i samples input (i + 0.5) / 2 - 0.5, edges
  # clamp, so a 0..3 ramp becomes [0, .25, .75, ..., 2.75, 3].
  expected_1d = np.array([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
  expected = expected_1d[:, None] + 10 * expected_1d[None, :]
  np.testing.assert_allclose(out[..., 0], expected, atol=1e-6)
  np.testing.assert_allclose(out[..., 1], expected, atol=1e-6)
  np.testing.assert_allclose(out.mean(), table.mean(), rtol=1e-6)
  assert vit.resize_posemb(table, (4, 4)) is table


def test_resize_posemb_bad_inputs():
  with pytest.raises(ValueError, match="Did you mean 'cubic'"):
    vit.resize_posemb(jnp.zeros((2, 2, 1)), (4, 4), 'cubc')
  with pytest.raises(ValueError, match='reshape a flat'):
    vit.resize_posemb(jnp.zeros((4, 1)), (4, 4))
  with pytest.raises(ValueError, match='two positive ints'):
    vit.resize_posemb(jnp.zeros((2, 2, 1)), (0, 4))


def test_keep_indices_equals_manual_gather_and_mean(tiny):
  model, params = tiny
  images = _images(2, 16, seed=1)
  keep = np.array([[0, 5, 10, 15, 3], [2, 7, 8, 1, 12]], np.int32)
  got = _apply(model, params, images, keep_indices=keep)

  p = jax.tree.map(np.asarray, params['params'])
  patches = einops.rearrange(
      images, 'b (h p1) (w p2) c -> b (h w) (p1 p2 c)', p1=4, p2=4
  )
  tokens = patches @ p['embedding']['kernel'].reshape(48, 32)
  tokens = tokens + p['embedding']['bias'] + p['pos_embedding'].reshape(16, 32)
  kept = np.stack([tokens[b, keep[b]] for b in range(2)])
  encoder = transformer.Encoder(depth=2, num_heads=4, head_dim=8, mlp_dim=64)
  expected = jax.jit(encoder.apply)({'params': p['Transformer']}, kept)
  np.testing.assert_allclose(got, expected.mean(axis=1), rtol=1e-4, atol=1e-5)

  # GAP without a class token is invariant to the order of kept tokens, and
  # keeping every token in order is the unmasked model.
  np.testing.assert_allclose(
      _apply(model, params, images, keep_indices=keep[:, ::-1]),
      got,
      rtol=1e-4,
      atol=1e-5,
  )
  everything = np.tile(np.arange(16, dtype=np.int32), (2, 1))
  np.testing.assert_allclose(
      _apply(model, params, images, keep_indices=everything),
      _apply(model, params, images),
      rtol=1e-5,
      atol=1e-6,
  )


def test_keep_indices_validation(tiny):
  model, params = tiny
  images = _images(2, 16)
  with pytest.raises(ValueError, match='integer'):
    model.apply(params, images, keep_indices=jnp.zeros((2, 2)))
  with pytest.raises(ValueError, match=r'must be in \[1, 16\]'):
    model.apply(params, images, keep_indices=jnp.zeros((2, 17), jnp.int32))
  out = _apply(
      model,
      params,
      images,
      keep_indices=jnp.array([[0, 99], [0, 1]], jnp.int32),
  )
  assert np.all(np.isnan(out[0])) and np.all(np.isfinite(out[1]))


def test_remat_same_params_and_outputs(tiny):
  plain, params = tiny
  images = _images(2, 16)
  remat = vit.ViT(**TINY, posemb_grid=(4, 4), remat=True)
  remat_params = jax.eval_shape(remat.init, _key(), images)
  assert jax.tree.structure(params) == jax.tree.structure(remat_params)

  def grad_fn(model):
    return jax.jit(jax.grad(lambda p: jnp.sum(model.apply(p, images) ** 2)))

  np.testing.assert_allclose(
      _apply(plain, params, images), _apply(remat, params, images), rtol=1e-6
  )
  grads = grad_fn(plain)(params)
  remat_grads = grad_fn(remat)(params)
  for a, b in zip(jax.tree.leaves(grads), jax.tree.leaves(remat_grads)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
