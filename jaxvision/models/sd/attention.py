"""Attention blocks: the UNet's spatial transformer and the AE's mid attention.

The spatial transformer is what the LD-ZNet chapter calls the
"spatial-attention module"; its output (residual included) is the feature the
LDM feature extractor returns (spec 3.3).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.models import fused_attention
from jaxvision.models import remat as remat_lib
from jaxvision.models.sd import layers


def attend(
    x: jax.Array,
    context: jax.Array,
    features: int,
    heads: int,
    qkv_bias: bool,
    dtype: layers.Dtype,
    kernel_init=nn.linear.default_kernel_init,
    implementation: str = "auto",
) -> jax.Array:
  """Multi-head attention with diffusers' `to_q/to_k/to_v/to_out_0` names.

  Call inside a compact method: the Dense layers become the caller's
  submodules, so the UNet's `attn1/to_q` and the autoencoder's
  `attentions_0/to_q` both mirror their diffusers names.
  """
  dense = lambda name, bias: nn.Dense(
      features, use_bias=bias, dtype=dtype, kernel_init=kernel_init, name=name
  )
  q = dense("to_q", qkv_bias)(x)
  k = dense("to_k", qkv_bias)(context)
  v = dense("to_v", qkv_bias)(context)
  split = lambda t: t.reshape(t.shape[:2] + (heads, -1))
  out = fused_attention.attend(
      split(q), split(k), split(v), implementation=implementation
  )
  return dense("to_out_0", True)(out.reshape(x.shape[:2] + (features,)))


class Attention(nn.Module):
  """The UNet's attention: q/k/v without bias, `heads` heads of C / heads."""

  features: int
  heads: int
  dtype: layers.Dtype = jnp.float32
  kernel_init: nn.initializers.Initializer = nn.linear.default_kernel_init
  attention: str = "auto"

  @nn.compact
  def __call__(
      self, x: jax.Array, context: jax.Array | None = None
  ) -> jax.Array:
    context = x if context is None else context
    return attend(
        x,
        context,
        self.features,
        self.heads,
        False,
        self.dtype,
        self.kernel_init,
        self.attention,
    )


class GEGLU(nn.Module):
  """Linear C -> 2*inner, split (hidden, gate), hidden * GELU(gate)."""

  inner: int
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    hidden, gate = jnp.split(
        nn.Dense(2 * self.inner, dtype=self.dtype, name="proj")(x), 2, axis=-1
    )
    # NOTE: exact (erf) GELU as in torch; flax's default is the tanh approx.
    return hidden * nn.gelu(gate, approximate=False)


class FeedForward(nn.Module):
  """GEGLU (C -> 4C) then Linear 4C -> C (diffusers `ff.net.{0,2}`)."""

  features: int
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = GEGLU(4 * self.features, self.dtype, name="net_0")(x)
    return nn.Dense(self.features, dtype=self.dtype, name="net_2")(x)


def _layer_norm(name: str) -> nn.LayerNorm:
  # NOTE: torch's LayerNorm eps is 1e-5, flax's default 1e-6 (pitfall 7).
  return nn.LayerNorm(epsilon=1e-5, dtype=jnp.float32, name=name)


class BasicTransformerBlock(nn.Module):
  """x += SelfAttn(LN1 x); x += CrossAttn(LN2 x, context); x += FF(LN3 x).

  With `ldm_tokens` (LD-ZNet's injected blocks, spec 3.5 step 3) a second
  cross-attention to those tokens runs after the text one:
  x += CrossAttn_ldm(LN_sd x, ldm_tokens), with new `norm_sd` / `attn_ldm`
  parameters (Linear kernels N(0, 0.02), the spec's default for "normal").
  """

  features: int
  heads: int
  dtype: layers.Dtype = jnp.float32
  attention: str = "auto"

  @nn.compact
  def __call__(
      self,
      x: jax.Array,
      context: jax.Array,
      ldm_tokens: jax.Array | None = None,
  ) -> jax.Array:
    attn = lambda name: Attention(
        self.features,
        self.heads,
        dtype=self.dtype,
        attention=self.attention,
        name=name,
    )
    x = x + attn("attn1")(_layer_norm("norm1")(x).astype(self.dtype))
    x = x + attn("attn2")(_layer_norm("norm2")(x).astype(self.dtype), context)
    if ldm_tokens is not None:
      attn_ldm = Attention(
          self.features,
          self.heads,
          self.dtype,
          nn.initializers.normal(0.02),
          self.attention,
          name="attn_ldm",
      )
      x = x + attn_ldm(
          _layer_norm("norm_sd")(x).astype(self.dtype),
          ldm_tokens.astype(self.dtype),
      )
    x = x + FeedForward(self.features, self.dtype, name="ff")(
        _layer_norm("norm3")(x).astype(self.dtype)
    )
    return x


class SpatialTransformer(nn.Module):
  """GN -> 1x1 proj_in -> transformer blocks on HW tokens -> 1x1 proj_out, + x.

  SD v1 uses 1x1 convs for proj_in/proj_out (diffusers
  `use_linear_projection=False`).

  LD-ZNet injection (spec 3.5-3.6), when `ldm` is given: `ldm_fusion=
  'cross_attention'` passes `ldm` (attention-pooled tokens [B, N, C]) to every
  transformer block's CrossAttn_ldm; `'concat'` first sets
  x <- x + Conv1x1([x ; ldm]) with `ldm` the raw feature map [B, h, w, C] and
  the conv zero-initialised, so training starts from plain ZNet behaviour.
  """

  features: int
  heads: int
  depth: int = 1
  groups: int = 32
  dtype: layers.Dtype = jnp.float32
  ldm_fusion: str = "cross_attention"
  remat: bool | str = "none"
  attention: str = "auto"

  @nn.compact
  def __call__(
      self, x: jax.Array, context: jax.Array, ldm: jax.Array | None = None
  ) -> jax.Array:
    ldm_tokens = None
    if ldm is not None and self.ldm_fusion == "concat":
      x = x + nn.Conv(
          x.shape[-1],
          (1, 1),
          dtype=self.dtype,
          kernel_init=nn.initializers.zeros,
          name="ldm_concat",
      )(jnp.concatenate([x, ldm.astype(x.dtype)], -1))
    elif ldm is not None:
      ldm_tokens = ldm
    b, h, w, c = x.shape
    y = layers.group_norm(self.groups, 1e-6, "norm")(x).astype(self.dtype)
    y = layers.conv(self.features, 1, "proj_in", self.dtype)(y)
    y = y.reshape(b, h * w, self.features)
    context = context.astype(self.dtype)
    block_cls = remat_lib.wrap(BasicTransformerBlock, self.remat)
    for i in range(self.depth):
      y = block_cls(
          self.features,
          self.heads,
          self.dtype,
          self.attention,
          name=f"transformer_blocks_{i}",
      )(y, context, ldm_tokens)
    y = layers.conv(c, 1, "proj_out", self.dtype)(y.reshape(b, h, w, -1))
    return (y + x).astype(self.dtype)


class VAEAttention(nn.Module):
  """The autoencoder's single-head mid-block self-attention, + residual."""

  groups: int = 32
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    b, h, w, c = x.shape
    y = layers.group_norm(self.groups, 1e-6, "group_norm")(x)
    y = y.astype(self.dtype).reshape(b, h * w, c)
    y = attend(y, y, c, 1, True, self.dtype)
    return x + y.reshape(b, h, w, c)
