"""The attention implementation switch of the ViT, text and SD attention.

`attention` is a model config value:
  "flax"   flax's `nn.dot_product_attention` (einsum + softmax; the default of
           the ViT/text towers, whose published-weight parity tests use it),
  "auto"   `jax.nn.dot_product_attention` choosing itself (cuDNN where it
           applies, else XLA; the SD attention's default),
  "xla"    the same function forced to its XLA implementation,
  "cudnn"  the same function's cuDNN fused kernel (GPU, bf16/fp16 only).
All take and return [batch, length, heads, head_dim]; masks are boolean,
True = attend.

NOTE: the Pallas TPU flash-attention kernel is not offered yet: Mosaic
kernels cannot be partitioned by jit and must run under `shard_map` over the
mesh, which the models do not see (compiling it for v3-8 fails with "Mosaic
kernels cannot be automatically partitioned"; docs/tpu.md).
"""

import functools

import flax.linen as nn
import jax

IMPLEMENTATIONS = ("flax", "auto", "xla", "cudnn")


def check(implementation: str) -> str:
  if implementation not in IMPLEMENTATIONS:
    raise ValueError(
        f"Unknown attention implementation {implementation!r}; "
        f"valid: {IMPLEMENTATIONS}."
    )
  return implementation


def _jax_nn(query, key, value, mask=None, *, implementation):
  return jax.nn.dot_product_attention(
      query, key, value, mask=mask, implementation=implementation
  )


def attention_fn(implementation: str):
  """A flax `attention_fn` (q, k, v, mask=None) for the implementation."""
  check(implementation)
  if implementation == "flax":
    return nn.dot_product_attention
  return functools.partial(
      _jax_nn,
      implementation=None if implementation == "auto" else implementation,
  )


def attend(query, key, value, mask=None, implementation: str = "auto"):
  """Multi-head attention by the chosen implementation."""
  return attention_fn(implementation)(query, key, value, mask=mask)
