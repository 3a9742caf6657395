"""Bidirectional text transformer tower with learned 1-D positions and pooling.

RECLIP's text encoder (spec section 3.2): token embedding + learned positional
table ``pos_embedding [max_len, width]``, pre-LN encoder with a key-padding
mask, final LayerNorm, then pooling. Token id 0 is padding (T5/SentencePiece
convention). Width need not be divisible by the head count: the paper's
"12 heads, width 1024" is ``num_heads=12, head_dim=64`` (qkv width 768).

Parameter names: ``token_embedding/embedding [vocab, width]``,
``pos_embedding [max_len, width]``, ``Transformer/...`` (see
`jaxvision.models.transformer`).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.models import transformer

PAD_ID = 0
POOL_TYPES = ('gap_masked', 'gap_all', 'eos')
EXTEND_METHODS = ('zeros', 'linear')


def extend_posemb(
    table: jax.Array, new_len: int, method: str = 'zeros'
) -> jax.Array:
  """Changes the length of a 1-D positional table ``[L, D] -> [new_len, D]``.

  Needed when the text length changes between phases or at evaluation (spec
  pitfall 8).

  Default 'zeros': keep the trained rows verbatim and append zero rows (or
  truncate when shrinking). Text positions are discrete token slots, so this is
  exact for every caption that fits the old length (the model's output on
  such captions is unchanged) and the new slots start neutral and are learned
  in the next phase. 'linear' instead stretches the table over the new length
  (1-D linear interpolation, half-pixel centres), which moves every trained
  position and is kept as an ablation.

  Args:
    table: ``[L, D]`` positional embeddings.
    new_len: target length (> 0).
    method: 'zeros' or 'linear'.

  Returns:
    ``[new_len, D]`` table in the dtype of ``table``.
  """
  transformer.check_choice('text posemb extend method', method, EXTEND_METHODS)
  if table.ndim != 2:
    raise ValueError(
        f'extend_posemb expects a [length, D] table, got shape {table.shape}.'
    )
  if new_len <= 0:
    raise ValueError(f'new_len must be positive, got {new_len}.')
  old_len = table.shape[0]
  if new_len == old_len:
    return table
  if method == 'zeros':
    if new_len < old_len:
      return table[:new_len]
    return jnp.pad(table, ((0, new_len - old_len), (0, 0)))
  resized = jax.image.resize(
      table.astype(jnp.float32), (new_len, table.shape[1]), method='linear'
  )
  return resized.astype(table.dtype)


def masked_mean(x: jax.Array, valid: jax.Array) -> jax.Array:
  """Means ``x [B, L, D]`` over positions where ``valid [B, L]`` is True.

  A row without any valid token pools to zeros (tokenizers should always emit
  at least an EOS token, so this only happens for empty captions).
  """
  weights = valid.astype(x.dtype)[..., None]
  count = jnp.maximum(jnp.sum(weights, axis=1), 1)
  return jnp.sum(x * weights, axis=1) / count


class TextTransformer(nn.Module):
  """Text encoder ``tokens [B, L] int -> [B, width]``.

  Attributes:
    vocab_size: number of token ids (id 0 is padding).
    width: residual width.
    depth: number of transformer blocks.
    num_heads: attention heads.
    mlp_dim: MLP hidden width.
    max_len: rows of the learned positional table; inputs may be shorter.
    head_dim: per-head dimension; None means ``width // num_heads``.
    pool: 'gap_masked' (mean over non-pad tokens; default, spec section 3.2),
      'gap_all' (mean over all L positions, pads included), or 'eos' (the last
      non-pad token; assumes right padding and a tokenizer that appends EOS).
    dtype: computation dtype.
    param_dtype: parameter storage dtype.
    remat: rematerialisation policy of each block (`remat.POLICIES`; True =
      "full").
    scan: `nn.scan` over the blocks (see `transformer.Encoder`).
    attention: attention implementation (`fused_attention.IMPLEMENTATIONS`).
  """

  vocab_size: int
  width: int
  depth: int
  num_heads: int
  mlp_dim: int
  max_len: int
  head_dim: int | None = None
  pool: str = 'gap_masked'
  dtype: Any = None
  param_dtype: Any = jnp.float32
  remat: bool | str = False
  scan: bool = False
  attention: str = 'flax'

  @nn.compact
  def __call__(self, tokens: jax.Array) -> jax.Array:
    """Encodes ``tokens [B, L]`` (L <= max_len) to pooled ``[B, width]``."""
    transformer.check_choice('text pool', self.pool, POOL_TYPES)
    if tokens.ndim != 2 or not jnp.issubdtype(tokens.dtype, jnp.integer):
      raise ValueError(
          f'TextTransformer expects integer tokens [batch, length], got shape '
          f'{tokens.shape} dtype {tokens.dtype}.'
      )
    length = tokens.shape[1]
    if length > self.max_len:
      raise ValueError(
          f'Token length {length} exceeds max_len {self.max_len}; truncate '
          f'the captions to {self.max_len} tokens or extend the positional '
          'table with text_transformer.extend_posemb and a larger max_len.'
      )
    head_dim = transformer.resolve_head_dim(
        self.width, self.num_heads, self.head_dim
    )

    x = nn.Embed(
        self.vocab_size,
        self.width,
        embedding_init=nn.initializers.normal(stddev=0.02),
        dtype=self.dtype,
        param_dtype=self.param_dtype,
        name='token_embedding',
    )(tokens)
    posemb = self.param(
        'pos_embedding',
        nn.initializers.normal(stddev=0.02),
        (self.max_len, self.width),
        self.param_dtype,
    )
    x = x + posemb[:length].astype(x.dtype)[None]

    valid = tokens != PAD_ID
    x = transformer.Encoder(
        depth=self.depth,
        num_heads=self.num_heads,
        head_dim=head_dim,
        mlp_dim=self.mlp_dim,
        dtype=self.dtype,
        param_dtype=self.param_dtype,
        remat=self.remat,
        scan=self.scan,
        attention=self.attention,
        name='Transformer',
    )(x, valid)

    if self.pool == 'gap_all':
      return jnp.mean(x, axis=1)
    if self.pool == 'gap_masked':
      return masked_mean(x, valid)
    last = jnp.maximum(jnp.sum(valid, axis=1) - 1, 0)
    return jnp.take_along_axis(x, last[:, None, None], axis=1)[:, 0]
