"""Tests for the text tower, its pooling modes and positional-table resizing."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision.models import text_transformer
from jaxvision.models import transformer

TINY = dict(vocab_size=50, width=32, depth=2, num_heads=4, mlp_dim=64)

# Right-padded captions (id 0 = pad) of 5 and 3 real tokens.
TOKENS = np.array(
    [[5, 9, 13, 2, 7, 0, 0, 0], [11, 3, 8, 0, 0, 0, 0, 0]], np.int32
)


def _key(seed: int = 0) -> jax.Array:
  # NOTE: rbg keys compile init graphs much faster on CPU than threefry.
  return jax.random.key(seed, impl='unsafe_rbg')


def _apply(model, params, tokens):
  return jax.jit(model.apply)(params, tokens)


def _param_count(tree) -> int:
  return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(tree))


@pytest.fixture(scope='module')
def tiny():
  """A tiny text tower with max_len 8 and its parameters."""
  model = text_transformer.TextTransformer(**TINY, max_len=8)
  params = jax.jit(model.init)(_key(), TOKENS)
  return model, params


def test_reclip_text_tower_12_heads_of_64_at_width_1024():
  model = text_transformer.TextTransformer(
      vocab_size=32_000,
      width=1024,
      depth=12,
      num_heads=12,
      head_dim=64,
      mlp_dim=4096,
      max_len=16,
  )
  params = jax.eval_shape(
      model.init, _key(), jax.ShapeDtypeStruct((2, 16), jnp.int32)
  )['params']
  attention = params['Transformer']['encoderblock_0'][
      'MultiHeadDotProductAttention_0'
  ]
  assert attention['query']['kernel'].shape == (1024, 12, 64)
  assert attention['out']['kernel'].shape == (12, 64, 1024)
  assert params['pos_embedding'].shape == (16, 1024)
  assert params['token_embedding']['embedding'].shape == (32_000, 1024)
  # Per block: 2 LNs 4,096 + q/k/v 3*(1024*768 + 768) = 2,361,600 + out
  # 768*1024 + 1024 = 787,456 + MLP 8,393,728 = 11,546,880; x12 = 138,562,560;
  # + token table 32,768,000 + posemb 16,384 + final LN 2,048.
  assert _param_count(params) == 171_348_992
  out = jax.eval_shape(
      model.apply, {'params': params}, jax.ShapeDtypeStruct((2, 16), jnp.int32)
  )
  assert out.shape == (2, 1024)


def test_width_not_divisible_by_heads_needs_head_dim():
  model = text_transformer.TextTransformer(
      vocab_size=10, width=1024, depth=1, num_heads=12, mlp_dim=8, max_len=4
  )
  with pytest.raises(ValueError, match='pass an explicit head_dim'):
    jax.eval_shape(model.init, _key(), jax.ShapeDtypeStruct((1, 4), jnp.int32))


def test_small_qkv_width_runs():
  model = text_transformer.TextTransformer(
      vocab_size=50,
      width=32,
      depth=1,
      num_heads=3,
      head_dim=8,
      mlp_dim=64,
      max_len=8,
  )
  params = jax.jit(model.init)(_key(), TOKENS)
  out = _apply(model, params, TOKENS)
  assert out.shape == (2, 32) and np.all(np.isfinite(out))


def test_output_shape_and_names(tiny):
  model, params = tiny
  out = _apply(model, params, TOKENS)
  assert out.shape == (2, 32) and out.dtype == jnp.float32
  assert set(params['params']) == {
      'token_embedding',
      'pos_embedding',
      'Transformer',
  }
  # Shorter inputs use the first rows of the table.
  assert _apply(model, params, TOKENS[:, :5]).shape == (2, 32)


@jax.jit
def _all_pools(params, tokens):
  """Outputs of every pooling mode, compiled once per token shape."""
  return {
      pool: text_transformer.TextTransformer(
          **TINY, max_len=8, pool=pool
      ).apply(params, tokens)
      for pool in text_transformer.POOL_TYPES
  }


def _token_outputs(params, tokens):
  """Per-token encoder outputs, recomputed from the tower's parameters."""
  p = params['params']
  x = p['token_embedding']['embedding'][tokens]
  x = x + p['pos_embedding'][: tokens.shape[1]]
  encoder = transformer.Encoder(depth=2, num_heads=4, head_dim=8, mlp_dim=64)
  return jax.jit(encoder.apply)({'params': p['Transformer']}, x, tokens != 0)


def test_appended_padding_does_not_change_output(tiny):
  _, params = tiny
  short = _all_pools(params, TOKENS[:, :5])
  padded = _all_pools(params, TOKENS)
  for pool in ('gap_masked', 'eos'):
    np.testing.assert_allclose(
        short[pool], padded[pool], rtol=1e-5, atol=1e-6, err_msg=pool
    )
  # Averaging over pads too is a different (deliberate) choice.
  assert not np.allclose(short['gap_all'], padded['gap_all'], atol=1e-4)


def test_pooling_modes_match_token_outputs(tiny):
  _, params = tiny
  tokens = np.asarray(_token_outputs(params, TOKENS))
  expected = {
      'gap_masked': np.stack([tokens[0, :5].mean(0), tokens[1, :3].mean(0)]),
      'gap_all': tokens.mean(1),
      'eos': np.stack([tokens[0, 4], tokens[1, 2]]),
  }
  got = _all_pools(params, TOKENS)
  for pool, want in expected.items():
    np.testing.assert_allclose(
        got[pool], want, rtol=1e-5, atol=1e-6, err_msg=pool
    )


def test_masked_mean_hand_values():
  x = jnp.array(
      [[[1.0], [3.0], [100.0]], [[2.0], [4.0], [6.0]], [[7.0], [8.0], [9.0]]]
  )
  valid = jnp.array(
      [[True, True, False], [True, True, True], [False, False, False]]
  )
  np.testing.assert_allclose(
      text_transformer.masked_mean(x, valid)[:, 0], [2.0, 4.0, 0.0]
  )


def test_bad_inputs_raise(tiny):
  model, params = tiny
  with pytest.raises(ValueError, match='exceeds max_len 8'):
    model.apply(params, np.ones((2, 9), np.int32))
  with pytest.raises(ValueError, match='integer tokens'):
    model.apply(params, np.ones((2, 4), np.float32))
  with pytest.raises(ValueError, match="Did you mean 'gap_masked'"):
    text_transformer.TextTransformer(**TINY, max_len=8, pool='gap_mask').apply(
        params, TOKENS
    )


def test_extend_posemb_zeros_preserves_trained_outputs(tiny):
  model, params = tiny
  longer = {'params': dict(params['params'])}
  longer['params']['pos_embedding'] = text_transformer.extend_posemb(
      params['params']['pos_embedding'], 16
  )
  assert longer['params']['pos_embedding'].shape == (16, 32)
  np.testing.assert_array_equal(longer['params']['pos_embedding'][8:], 0)
  long_model = text_transformer.TextTransformer(**TINY, max_len=16)
  np.testing.assert_allclose(
      _apply(long_model, longer, TOKENS),
      _apply(model, params, TOKENS),
      rtol=1e-6,
  )
  shorter = text_transformer.extend_posemb(params['params']['pos_embedding'], 4)
  np.testing.assert_array_equal(shorter, params['params']['pos_embedding'][:4])


def test_extend_posemb_linear():
  ramp = jnp.arange(4.0)[:, None] * jnp.ones((1, 3))
  out = text_transformer.extend_posemb(ramp, 8, method='linear')
  np.testing.assert_allclose(
      out[:, 0], [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3], atol=1e-6
  )
  constant = jnp.full((4, 2), -0.3)
  np.testing.assert_allclose(
      text_transformer.extend_posemb(constant, 6, method='linear'),
      -0.3,
      rtol=1e-6,
  )


def test_extend_posemb_bad_inputs():
  with pytest.raises(ValueError, match="Did you mean 'linear'"):
    text_transformer.extend_posemb(jnp.zeros((4, 2)), 8, method='linaer')
  with pytest.raises(ValueError, match=r'\[length, D\]'):
    text_transformer.extend_posemb(jnp.zeros((4, 4, 2)), 8)
  with pytest.raises(ValueError, match='positive'):
    text_transformer.extend_posemb(jnp.zeros((4, 2)), 0)


def test_bf16_and_remat_agree(tiny):
  _, params = tiny

  @jax.jit
  def outputs(params, tokens):
    return {
        name: text_transformer.TextTransformer(
            **TINY, max_len=8, **kwargs
        ).apply(params, tokens)
        for name, kwargs in (
            ('f32', {}),
            ('remat', dict(remat=True)),
            ('bf16', dict(dtype=jnp.bfloat16)),
        )
    }

  out = outputs(params, TOKENS)
  np.testing.assert_allclose(out['remat'], out['f32'], rtol=1e-6)
  assert out['bf16'].dtype == jnp.bfloat16
  np.testing.assert_allclose(
      out['bf16'].astype(jnp.float32), out['f32'], atol=0.1
  )
