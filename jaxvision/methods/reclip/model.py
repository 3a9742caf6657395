"""The RECLIP two-tower model: ViT image tower, text transformer, projections.

Both towers pool by global average pooling (no class token), project to a
shared embedding (Dense without bias) and L2-normalise; a learnable
temperature is kept as `logit_scale = log(1 / tau)` (spec 3.3).
"""

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.models import text_transformer
from jaxvision.models import vit

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def l2_normalize(x: jax.Array, eps: float = 1e-6) -> jax.Array:
  x = x.astype(jnp.float32)
  return x * jax.lax.rsqrt(jnp.sum(x * x, axis=-1, keepdims=True) + eps)


class TwoTower(nn.Module):
  """CLIP-style dual encoder returning normalised embeddings."""

  image: dict[str, Any]
  text: dict[str, Any]
  embed_dim: int
  logit_scale_init: float
  dtype: Any = jnp.float32

  def setup(self):
    self.image_tower = vit.ViT(dtype=self.dtype, **self.image)
    self.text_tower = text_transformer.TextTransformer(
        dtype=self.dtype, **self.text
    )
    self.image_proj = nn.Dense(self.embed_dim, use_bias=False, dtype=self.dtype)
    self.text_proj = nn.Dense(self.embed_dim, use_bias=False, dtype=self.dtype)
    self.logit_scale = self.param(
        "logit_scale", nn.initializers.constant(self.logit_scale_init), ()
    )

  def embed_images(self, images, keep_indices=None):
    return l2_normalize(
        self.image_proj(self.image_tower(images, keep_indices=keep_indices))
    )

  def embed_texts(self, tokens):
    return l2_normalize(self.text_proj(self.text_tower(tokens)))

  def __call__(self, images, tokens, keep_indices=None):
    return (
        self.embed_images(images, keep_indices),
        self.embed_texts(tokens),
        self.logit_scale,
    )


def posemb_grid(
    config: ml_collections.ConfigDict, stage: ml_collections.ConfigDict
) -> tuple[int, int]:
  """The learned image pos-emb grid of a stage.

  'upsample_params' (the method): the table matches the stage's patch grid
  and is replaced by a larger parameter at each resolution switch.
  'interpolate_on_the_fly' (ablation): one table, sized for the first stage,
  resized to every stage's grid at run time.
  """
  mode = config.model.posemb.mode
  size = (
      config.stages[0].image_size
      if mode == "interpolate_on_the_fly"
      else stage.image_size
  )
  side = size // config.model.image.patch_size
  return (side, side)


def build(
    config: ml_collections.ConfigDict,
    stage: ml_collections.ConfigDict,
    vocab_size: int,
    dtype: str | None = None,
) -> TwoTower:
  """The model of one stage (pos-emb shapes depend on image size/text len).

  `dtype` overrides config.model.dtype (FLOP counting uses float32: XLA's CPU
  cost analysis also counts the bf16<->f32 converts it inserts).
  """
  cfg = config.model
  dtype = dtype or cfg.dtype
  modes = {
      "upsample_params": "fixed",
      "interpolate_on_the_fly": "interpolate_on_the_fly",
  }
  if cfg.posemb.mode not in modes:
    raise ValueError(
        f"model.posemb.mode must be one of {sorted(modes)}, got "
        f"{cfg.posemb.mode!r}."
    )
  # NOTE: remat may differ per stage (a 448 px finetune needs it, the 64 px
  # main phase does not); scan and attention change the program, not the
  # params' values, and are model-wide.
  stage_remat = stage.get("remat", "")
  knobs = dict(
      remat=cfg.get("remat", False) if stage_remat == "" else stage_remat,
      scan=cfg.get("scan", False),
      attention=cfg.get("attention", "flax"),
  )
  image = dict(cfg.image, **knobs)
  image.update(
      posemb_grid=posemb_grid(config, stage),
      posemb_mode=modes[cfg.posemb.mode],
      posemb_resize_method=cfg.posemb.resize_method,
  )
  text = dict(cfg.text, vocab_size=vocab_size, max_len=stage.text_len, **knobs)
  if dtype not in DTYPES:
    raise ValueError(f"model.dtype must be one of {sorted(DTYPES)}.")
  return TwoTower(
      image=image,
      text=text,
      embed_dim=cfg.embed_dim,
      logit_scale_init=math.log(1.0 / cfg.temperature_init),
      dtype=DTYPES[dtype],
  )
