"""The attention implementation switch of the ViT, text and SD attention.

`attention` is a model config value:
  "flax"   flax's `nn.dot_product_attention` (einsum + softmax; the default of
           the ViT/text towers, whose published-weight parity tests use it),
  "auto"   `jax.nn.dot_product_attention` choosing itself (cuDNN where it
           applies, else XLA; the SD attention's default),
  "xla"    the same function forced to its XLA implementation,
  "cudnn"  the same function's cuDNN fused kernel (GPU, bf16/fp16 only),
  "pallas" the Pallas TPU flash-attention kernel
           (`jax.experimental.pallas.ops.tpu.flash_attention`): never
           materialises the [L, L] score matrix; TPU only, so on CPU it is
           checked by compiling for a TPU topology (`aot`).
All take and return [batch, length, heads, head_dim]; masks are boolean,
True = attend. "pallas" takes key-padding masks only (what the text tower
builds); another mask is an error rather than a silently different result.
"""

import functools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp

IMPLEMENTATIONS = ("flax", "auto", "xla", "cudnn", "pallas")


def check(implementation: str) -> str:
  if implementation not in IMPLEMENTATIONS:
    raise ValueError(f"Unknown attention implementation {implementation!r}; "
                     f"valid: {IMPLEMENTATIONS}.")
  return implementation


def _jax_nn(query, key, value, mask=None, *, implementation):
  return jax.nn.dot_product_attention(query, key, value, mask=mask,
                                      implementation=implementation)


def _pallas(query, key, value, mask=None):
  """TPU flash attention; a key-padding mask becomes segment ids."""
  from jax.experimental.pallas.ops.tpu import flash_attention as fa  # pylint: disable=g-import-not-at-top
  segment_ids = None
  if mask is not None:
    if mask.shape[1] != 1:
      raise ValueError("attention='pallas' takes key-padding masks "
                       f"[B, 1, L, L] only; got a mask of shape {mask.shape}.")
    # NOTE: a padding mask is the same for every query; queries of padding
    # (segment 0) then attend padding keys only. Pooling ignores them.
    valid = mask[:, 0, 0, :].astype(jnp.int32)
    segment_ids = fa.SegmentIds(q=valid, kv=valid)
  to_heads = lambda t: jnp.swapaxes(t, 1, 2)
  length = query.shape[1]
  block = min(128, length)
  sizes = fa.BlockSizes(
      block_q=block, block_k_major=block, block_k=block, block_b=1,
      block_q_major_dkv=block, block_k_major_dkv=block, block_k_dkv=block,
      block_q_dkv=block, block_k_major_dq=block, block_k_dq=block,
      block_q_dq=block)
  out = fa.flash_attention(to_heads(query), to_heads(key), to_heads(value),
                           segment_ids=segment_ids,
                           sm_scale=1.0 / math.sqrt(query.shape[-1]),
                           block_sizes=sizes)
  return to_heads(out)


def attention_fn(implementation: str):
  """A flax `attention_fn` (q, k, v, mask=None) for the implementation."""
  check(implementation)
  if implementation == "flax":
    return nn.dot_product_attention
  if implementation == "pallas":
    return _pallas
  return functools.partial(
      _jax_nn, implementation=None if implementation == "auto" else
      implementation)


def attend(query, key, value, mask=None, implementation: str = "auto"):
  """Multi-head attention by the chosen implementation."""
  return attention_fn(implementation)(query, key, value, mask=mask)
