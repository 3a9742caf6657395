"""The CLIP ViT-L/14 text transformer that conditions SD v1.x (frozen).

Names mirror transformers' `CLIPTextModel` (`embeddings/token_embedding`,
`encoder/layers_3/self_attn/q_proj`, `final_layer_norm`). The output is
`last_hidden_state` (after the final LayerNorm) at all context positions: SD
v1 cross-attends to all 77 tokens, padding included (spec pitfall 9).
"""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.models.sd import layers


@dataclasses.dataclass(frozen=True)
class CLIPTextConfig:
  """Text-transformer hyper-parameters (transformers `CLIPTextConfig` names)."""

  vocab_size: int = 49408
  hidden_size: int = 768
  num_hidden_layers: int = 12
  num_attention_heads: int = 12
  intermediate_size: int = 3072
  max_position_embeddings: int = 77
  hidden_act: str = "quick_gelu"


VIT_L_14 = CLIPTextConfig()

_ACTIVATIONS = {
    "quick_gelu": lambda x: x * jax.nn.sigmoid(1.702 * x),
    "gelu": lambda x: nn.gelu(x, approximate=False),
}


def _layer_norm(name: str) -> nn.LayerNorm:
  return nn.LayerNorm(epsilon=1e-5, dtype=jnp.float32, name=name)


class SelfAttention(nn.Module):
  """Causal multi-head self-attention with biased q/k/v/out projections."""

  config: CLIPTextConfig
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    cfg = self.config
    dense = lambda name: nn.Dense(cfg.hidden_size, dtype=self.dtype, name=name)
    split = lambda t: t.reshape(t.shape[:2] + (cfg.num_attention_heads, -1))
    q, k, v = (split(dense(n)(x)) for n in ("q_proj", "k_proj", "v_proj"))
    out = jax.nn.dot_product_attention(q, k, v, is_causal=True)
    return dense("out_proj")(out.reshape(x.shape))


class MLP(nn.Module):
  """fc1 -> activation -> fc2."""

  config: CLIPTextConfig
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    cfg = self.config
    if cfg.hidden_act not in _ACTIVATIONS:
      raise ValueError(
          f"hidden_act={cfg.hidden_act!r}; supported: "
          f"{sorted(_ACTIVATIONS)}."
      )
    x = nn.Dense(cfg.intermediate_size, dtype=self.dtype, name="fc1")(x)
    x = _ACTIVATIONS[cfg.hidden_act](x)
    return nn.Dense(cfg.hidden_size, dtype=self.dtype, name="fc2")(x)


class EncoderLayer(nn.Module):
  """Pre-LN block: x += Attn(LN1 x); x += MLP(LN2 x)."""

  config: CLIPTextConfig
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    cfg = self.config
    x = x + SelfAttention(cfg, self.dtype, name="self_attn")(
        _layer_norm("layer_norm1")(x).astype(self.dtype)
    )
    h = _layer_norm("layer_norm2")(x).astype(self.dtype)
    h = MLP(cfg, self.dtype, name="mlp")(h)
    return x + h


class Embeddings(nn.Module):
  """Token embedding + learned absolute position embedding."""

  config: CLIPTextConfig

  @nn.compact
  def __call__(self, tokens: jax.Array) -> jax.Array:
    cfg = self.config
    tok = nn.Embed(cfg.vocab_size, cfg.hidden_size, name="token_embedding")
    pos = nn.Embed(
        cfg.max_position_embeddings, cfg.hidden_size, name="position_embedding"
    )
    return tok(tokens) + pos(jnp.arange(tokens.shape[1]))[None]


class Encoder(nn.Module):
  config: CLIPTextConfig
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for i in range(self.config.num_hidden_layers):
      x = EncoderLayer(self.config, self.dtype, name=f"layers_{i}")(x)
    return x


class CLIPTextModel(nn.Module):
  """int32 tokens [B, L <= 77] -> last_hidden_state [B, L, hidden_size]."""

  config: CLIPTextConfig = VIT_L_14
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, tokens: jax.Array) -> jax.Array:
    cfg = self.config
    if tokens.ndim != 2 or tokens.shape[1] > cfg.max_position_embeddings:
      raise ValueError(
          f"tokens must be [batch, <= "
          f"{cfg.max_position_embeddings}] int ids, got shape "
          f"{tokens.shape}."
      )
    x = Embeddings(cfg, name="embeddings")(tokens)
    x = Encoder(cfg, self.dtype, name="encoder")(x.astype(self.dtype))
    return _layer_norm("final_layer_norm")(x)
