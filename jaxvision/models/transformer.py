"""Pre-LN transformer encoder shared by the image (ViT) and text towers.

The block is the standard ViT/big_vision design: ``x + MHA(LN(x))`` then
``x + MLP(LN(x))``, LayerNorm epsilon 1e-6, GELU MLP, and a final LayerNorm
after the last block. Attention width is decoupled from the residual width
(``qkv_features = num_heads * head_dim``) because the RECLIP text tower is
written as 12 heads at width 1024, which standard MHA cannot express
(1024 / 12 is not an integer; spec pitfall 9).

Parameter names are checkpoint keys and partition-rule targets, so they are
fixed deliberately::

  encoderblock_{i}/LayerNorm_0/{scale,bias}
  encoderblock_{i}/MultiHeadDotProductAttention_0/{query,key,value,out}/
      {kernel,bias}
  encoderblock_{i}/LayerNorm_1/{scale,bias}
  encoderblock_{i}/MlpBlock_0/Dense_{0,1}/{kernel,bias}
  encoder_norm/{scale,bias}

Kernel shapes: query/key/value ``(width, num_heads, head_dim)``, out
``(num_heads, head_dim, width)``, Dense_0 ``(width, mlp_dim)``, Dense_1
``(mlp_dim, width)``.
"""

from collections.abc import Iterable
import difflib
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.models import fused_attention
from jaxvision.models import remat as remat_lib

LAYERNORM_EPSILON = 1e-6

# NOTE: DenseGeneral flattens multi-dimensional kernels to (fan_in, fan_out)
# before calling the initializer, so xavier_uniform sees the true fan-in/out of
# the (width, heads, head_dim) projections.
KERNEL_INIT = nn.initializers.xavier_uniform()
BIAS_INIT = nn.initializers.zeros_init()


def check_choice(kind: str, value: str, valid: Iterable[str]) -> None:
  """Raises a ValueError with a 'did you mean' hint if ``value`` is not valid.

  Shared by the towers built on this encoder to validate string options
  (pooling type, posemb mode, resize method).
  """
  valid = list(valid)
  if value in valid:
    return
  close = difflib.get_close_matches(str(value), valid, n=1)
  hint = f' Did you mean {close[0]!r}?' if close else ''
  raise ValueError(f'Unknown {kind} {value!r}.{hint} Valid: {sorted(valid)}.')


def resolve_head_dim(width: int, num_heads: int, head_dim: int | None) -> int:
  """Returns the per-head dimension, defaulting to ``width // num_heads``.

  Args:
    width: residual stream width.
    num_heads: number of attention heads.
    head_dim: explicit per-head dimension, or None for ``width // num_heads``.

  Raises:
    ValueError: if sizes are not positive, or head_dim is None and the width is
      not divisible by the number of heads.
  """
  if width <= 0 or num_heads <= 0:
    raise ValueError(
        f'width ({width}) and num_heads ({num_heads}) must be positive.'
    )
  if head_dim is None:
    if width % num_heads:
      raise ValueError(
          f'width {width} is not divisible by num_heads {num_heads}; pass an '
          f'explicit head_dim (e.g. head_dim=64 gives qkv_features '
          f'{num_heads * 64} projected back to width {width}).'
      )
    return width // num_heads
  if head_dim <= 0:
    raise ValueError(f'head_dim must be positive, got {head_dim}.')
  return head_dim


def padding_attention_mask(valid: jax.Array) -> jax.Array:
  """Builds a key-padding attention mask ``[B, 1, L, L]`` from ``valid [B, L]``.

  Every query (padding queries included) may attend to every valid key. Pad
  queries produce outputs that pooling ignores; masking only keys keeps their
  softmax well defined, so no NaNs appear.

  Args:
    valid: boolean ``[B, L]``, True for real tokens.
  """
  if valid.ndim != 2:
    raise ValueError(
        f'valid mask must be [batch, length], got shape {valid.shape}.'
    )
  return jnp.broadcast_to(
      valid[:, None, None, :],
      (valid.shape[0], 1, valid.shape[1], valid.shape[1]),
  )


class MlpBlock(nn.Module):
  """Two-layer GELU MLP ``width -> mlp_dim -> width``.

  Attributes:
    mlp_dim: hidden width.
    dtype: computation dtype (e.g. bfloat16); None keeps the input dtype.
    param_dtype: parameter storage dtype.
  """

  mlp_dim: int
  dtype: Any = None
  param_dtype: Any = jnp.float32

  def _dense(self, features: int) -> nn.Dense:
    return nn.Dense(
        features,
        dtype=self.dtype,
        param_dtype=self.param_dtype,
        kernel_init=KERNEL_INIT,
        bias_init=BIAS_INIT,
    )

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    width = x.shape[-1]
    # NOTE: flax's nn.gelu defaults to the tanh approximation, as in
    # big_vision's ViT.
    x = nn.gelu(self._dense(self.mlp_dim)(x))
    return self._dense(width)(x)


class EncoderBlock(nn.Module):
  """Pre-LN transformer block: ``x += MHA(LN(x)); x += MLP(LN(x))``.

  Attributes:
    num_heads: attention heads.
    head_dim: per-head dimension; ``num_heads * head_dim`` is the attention
      width, projected back to the residual width by the out projection.
    mlp_dim: MLP hidden width.
    dtype: computation dtype.
    param_dtype: parameter storage dtype.
    attention: attention implementation (`fused_attention.IMPLEMENTATIONS`).
  """

  num_heads: int
  head_dim: int
  mlp_dim: int
  dtype: Any = None
  param_dtype: Any = jnp.float32
  attention: str = 'flax'

  def _norm(self) -> nn.LayerNorm:
    return nn.LayerNorm(
        epsilon=LAYERNORM_EPSILON,
        dtype=self.dtype,
        param_dtype=self.param_dtype,
    )

  @nn.compact
  def __call__(self, x: jax.Array, mask: jax.Array | None = None) -> jax.Array:
    """Applies the block to ``x [B, L, width]``; mask is ``[B, 1, L, L]``."""
    y = self._norm()(x)
    y = nn.MultiHeadDotProductAttention(
        num_heads=self.num_heads,
        qkv_features=self.num_heads * self.head_dim,
        out_features=x.shape[-1],
        dtype=self.dtype,
        param_dtype=self.param_dtype,
        kernel_init=KERNEL_INIT,
        bias_init=BIAS_INIT,
        deterministic=True,
        attention_fn=fused_attention.attention_fn(self.attention),
    )(y, y, mask=mask)
    x = x + y
    y = self._norm()(x)
    y = MlpBlock(self.mlp_dim, dtype=self.dtype, param_dtype=self.param_dtype)(
        y
    )
    return x + y


class Encoder(nn.Module):
  """A stack of ``depth`` pre-LN blocks followed by a final LayerNorm.

  Attributes:
    depth: number of blocks.
    num_heads: attention heads per block.
    head_dim: per-head dimension (see `EncoderBlock`).
    mlp_dim: MLP hidden width.
    dtype: computation dtype.
    param_dtype: parameter storage dtype.
    remat: rematerialisation policy of each block in the backward pass
      (`remat.POLICIES`; True = "full"); parameter names are unchanged.
    scan: run the blocks as one `nn.scan` over a layer axis, so compile time
      does not grow with depth. The blocks' params are then stacked under
      ``encoderblock/block`` with a leading ``depth`` axis; `stack_blocks` /
      `unstack_blocks` convert from / to the per-layer names above.
    attention: attention implementation (`fused_attention.IMPLEMENTATIONS`).
  """

  depth: int
  num_heads: int
  head_dim: int
  mlp_dim: int
  dtype: Any = None
  param_dtype: Any = jnp.float32
  remat: bool | str = False
  scan: bool = False
  attention: str = 'flax'

  @nn.compact
  def __call__(self, x: jax.Array, valid: jax.Array | None = None) -> jax.Array:
    """Encodes ``x [B, L, width]``.

    Args:
      x: input tokens.
      valid: optional boolean ``[B, L]`` padding mask (True = real token);
        padded keys are excluded from attention.

    Returns:
      ``[B, L, width]`` tokens after the final LayerNorm.
    """
    if x.ndim != 3:
      raise ValueError(
          f'Encoder expects tokens [batch, length, width], got {x.shape}.'
      )
    mask = None
    if valid is not None:
      if valid.shape != x.shape[:2]:
        raise ValueError(
            f'valid mask shape {valid.shape} does not match tokens '
            f'{x.shape[:2]} (expected [batch, length]).'
        )
      mask = padding_attention_mask(valid)
    block_args = dict(
        num_heads=self.num_heads,
        head_dim=self.head_dim,
        mlp_dim=self.mlp_dim,
        dtype=self.dtype,
        param_dtype=self.param_dtype,
        attention=self.attention,
    )
    if self.scan:
      body = remat_lib.wrap(_ScanBody, self.remat, prevent_cse=False)
      x, _ = nn.scan(
          body,
          variable_axes={'params': 0},
          split_rngs={'params': True},
          in_axes=nn.broadcast,
          length=self.depth,
      )(EncoderBlock(**block_args, parent=None), name='encoderblock')(x, mask)
    else:
      block_cls = remat_lib.wrap(EncoderBlock, self.remat)
      for i in range(self.depth):
        x = block_cls(name=f'encoderblock_{i}', **block_args)(x, mask)
    return nn.LayerNorm(
        epsilon=LAYERNORM_EPSILON,
        dtype=self.dtype,
        param_dtype=self.param_dtype,
        name='encoder_norm',
    )(x)


class _ScanBody(nn.Module):
  """An `EncoderBlock` as an `nn.scan` body: (x, mask) -> (x, None)."""

  block: EncoderBlock

  def __call__(self, x: jax.Array, mask: jax.Array | None):
    return self.block(x, mask), None


def stack_blocks(encoder_params: dict[str, Any]) -> dict[str, Any]:
  """Per-layer ``encoderblock_{i}`` params -> the `scan=True` layout."""
  names = sorted(
      (k for k in encoder_params if k.startswith('encoderblock_')),
      key=lambda k: int(k.rsplit('_', 1)[1]),
  )
  if not names:
    raise ValueError(
        'No encoderblock_{i} params to stack; keys: '
        f'{sorted(encoder_params)}.'
    )
  rest = {k: v for k, v in encoder_params.items() if k not in names}
  blocks = [encoder_params[k] for k in names]
  stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *blocks)
  return {**rest, 'encoderblock': {'block': stacked}}


def unstack_blocks(encoder_params: dict[str, Any]) -> dict[str, Any]:
  """The `scan=True` layout -> per-layer ``encoderblock_{i}`` params."""
  stacked = encoder_params['encoderblock']['block']
  depth = jax.tree.leaves(stacked)[0].shape[0]
  rest = {k: v for k, v in encoder_params.items() if k != 'encoderblock'}
  return {
      **rest,
      **{
          f'encoderblock_{i}': jax.tree.map(lambda x, i=i: x[i], stacked)
          for i in range(depth)
      },
  }
