"""Analytic multiply-accumulate (MAC) counts and XLA FLOP counts for towers.

The analytic counts follow RECLIP spec section 8, which reproduces the
dissertation's Table 3.2 "GFLOPs" (one MAC counted as one FLOP, forward pass,
one example). Per transformer layer with N tokens, residual width d, attention
width q = num_heads * head_dim and MLP width d_mlp::

  projections  4 * N * d * q     (q, k, v: d -> q; out: q -> d)
  attention    2 * N^2 * q       (Q K^T and A V)
  MLP          2 * N * d * d_mlp

With q = d this is the spec's ``N*4*d^2 + 2*N^2*d + 2*N*d*d_mlp``. The image
tower adds the patch embedding ``N * p^2 * 3 * d``; the text tower's embedding
is a lookup and costs nothing. LayerNorm, softmax, GELU, biases and pooling are
ignored (they are < 1% at these sizes).

NOTE: XLA's ``cost_analysis()['flops']`` counts 2 FLOPs per MAC (spec pitfall
10), so compare ``xla_flops(...) / 2`` against these numbers.
"""

from collections.abc import Callable
import numbers
from typing import Any

import jax


def _positive(**sizes: int | None) -> None:
  """Raises ValueError naming the first size that is not a positive int."""
  for name, value in sizes.items():
    if value is not None and (
        not isinstance(value, numbers.Integral) or value <= 0
    ):
      raise ValueError(f'{name} must be a positive int, got {value!r}.')


def encoder_layer_macs(
    num_tokens: int, width: int, mlp_dim: int, qkv_features: int | None = None
) -> int:
  """MACs of one pre-LN encoder layer over ``num_tokens`` tokens.

  Args:
    num_tokens: sequence length N.
    width: residual width d.
    mlp_dim: MLP hidden width.
    qkv_features: attention width ``num_heads * head_dim``; None means d.
  """
  _positive(
      num_tokens=num_tokens,
      width=width,
      mlp_dim=mlp_dim,
      qkv_features=qkv_features,
  )
  n, d = num_tokens, width
  q = d if qkv_features is None else qkv_features
  return 4 * n * d * q + 2 * n * n * q + 2 * n * d * mlp_dim


def _qkv_features(
    width: int, num_heads: int | None, head_dim: int | None
) -> int:
  """Attention width; defaults to ``width`` unless head_dim is explicit."""
  if head_dim is None:
    return width
  if num_heads is None:
    raise ValueError('head_dim given without num_heads; pass both.')
  return num_heads * head_dim


def vit_macs(
    image_size: int | tuple[int, int],
    *,
    patch_size: int,
    width: int,
    depth: int,
    mlp_dim: int,
    num_heads: int | None = None,
    head_dim: int | None = None,
    num_kept_tokens: int | None = None,
) -> int:
  """Forward MACs of one image through `jaxvision.models.vit.ViT`.

  Args:
    image_size: side (square) or ``(H, W)``; must be a multiple of patch_size.
    patch_size: patch side p.
    width: residual width.
    depth: number of layers.
    mlp_dim: MLP hidden width.
    num_heads: attention heads (only needed with an explicit head_dim).
    head_dim: per-head dimension; None means ``width // num_heads``.
    num_kept_tokens: tokens kept by FLIP-style masking; the patch embedding
      still runs on all N patches, the layers on the kept ones.

  Returns:
    Integer MAC count (divide by 1e9 for the GMACs of Table 3.2).
  """
  h, w = (image_size, image_size) if isinstance(image_size, int) else image_size
  _positive(
      image_h=h,
      image_w=w,
      patch_size=patch_size,
      depth=depth,
      num_kept_tokens=num_kept_tokens,
  )
  if h % patch_size or w % patch_size:
    raise ValueError(
        f'Image size {h}x{w} is not divisible by patch size {patch_size}.'
    )
  num_patches = (h // patch_size) * (w // patch_size)
  num_tokens = num_patches
  if num_kept_tokens is not None:
    if num_kept_tokens > num_patches:
      raise ValueError(
          f'num_kept_tokens {num_kept_tokens} exceeds the {num_patches} '
          'patches of the image.'
      )
    num_tokens = num_kept_tokens
  patch_embed = num_patches * patch_size * patch_size * 3 * width
  layer = encoder_layer_macs(
      num_tokens, width, mlp_dim, _qkv_features(width, num_heads, head_dim)
  )
  return patch_embed + depth * layer


def text_macs(
    seq_len: int,
    *,
    width: int,
    depth: int,
    mlp_dim: int,
    num_heads: int | None = None,
    head_dim: int | None = None,
) -> int:
  """Forward MACs of one caption of ``seq_len`` tokens through the text tower.

  Args:
    seq_len: number of token positions (pads included; they are computed).
    width: residual width.
    depth: number of layers.
    mlp_dim: MLP hidden width.
    num_heads: attention heads (only needed with an explicit head_dim).
    head_dim: per-head dimension; None means the attention width equals
      ``width`` (the spec section 8 convention).
  """
  _positive(seq_len=seq_len, depth=depth)
  return depth * encoder_layer_macs(
      seq_len, width, mlp_dim, _qkv_features(width, num_heads, head_dim)
  )


def flops_from_cost_analysis(cost: Any) -> float:
  """Extracts ``flops`` from ``compiled.cost_analysis()`` output.

  Older jax versions return a list with one dict per device program, newer
  ones a single dict; both are accepted.
  """
  if isinstance(cost, (list, tuple)):
    cost = cost[0] if cost else None
  if not isinstance(cost, dict) or 'flops' not in cost:
    raise ValueError(
        f'XLA cost_analysis() returned no "flops" entry ({cost!r}); this '
        'backend does not report costs.'
    )
  return float(cost['flops'])


def xla_flops(fn: Callable[..., Any], *abstract_args: Any) -> float:
  """FLOPs XLA counts for ``jax.jit(fn)(*abstract_args)`` (2 per MAC).

  Arguments may be ``jax.ShapeDtypeStruct`` pytrees (e.g. params from
  ``jax.eval_shape``): lowering and compiling never materialises weights.

  Args:
    fn: function to cost.
    *abstract_args: concrete arrays or ShapeDtypeStruct pytrees.

  Returns:
    The compiled module's ``flops`` (float).
  """
  compiled = jax.jit(fn).lower(*abstract_args).compile()
  return flops_from_cost_analysis(compiled.cost_analysis())
