r"""Frozen Stable Diffusion v1.x (paper sizes) as a feature extractor.

The LD-ZNet chapter's LDM: SD v1.4's KL-f8 autoencoder (83,653,863 params),
denoising UNet (859,520,964) and CLIP ViT-L/14 text encoder (123,060,480), all
frozen; 384x384 images (48x48x4 latents); features after the spatial-attention
blocks 6-10 at t ~ U{300..499} (spec 3.3, 3.5).

  python -m jaxvision.main params --config configs/ldznet/ldm.py
  # params_text=123060480 params_unet=859520964 params_vae=83653863
  # total_params=1066235307 trainable_params=0
  python -m jaxvision.main convert sd-v1 --src sd-v1-4.ckpt --dst weights/sd14
  python -m jaxvision.main extract-features --config configs/ldznet/ldm.py \
      --out features/aigi --config.ldm.weights=weights/sd14 \
      --config.data.manifest=aigi/manifest.json

`ldm.weights` = a folder written by `convert sd-v1` (empty: random weights,
enough for `params` / `flops` / shape checks). `ldm.tokenizer` = OpenAI's
bpe_simple_vocab_16e6.txt.gz or a vocab.json + merges.txt folder (empty: the
tokenizer saved next to the weights).
"""

import ml_collections

SD_V1_UNET = dict(
    in_channels=4,
    out_channels=4,
    model_channels=320,
    channel_mult=(1, 2, 4, 4),
    num_res_blocks=2,
    attention_levels=(0, 1, 2),
    num_heads=8,
    transformer_depth=1,
    context_dim=768,
    groups=32,
)
SD_V1_VAE = dict(
    in_channels=3,
    ch=128,
    ch_mult=(1, 2, 4, 4),
    num_res_blocks=2,
    z_channels=4,
    groups=32,
)
CLIP_L14_TEXT = dict(
    vocab_size=49408,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=77,
    hidden_act="quick_gelu",
)


def base(
    unet,
    vae,
    text,
    *,
    image_size,
    text_len,
    data,
    batch_size,
    shard_size,
    dtype,
):
  """The ldm config around given architectures (shared with ldm_tiny)."""
  config = ml_collections.ConfigDict()
  config.method = "ldm"
  config.seed = 0
  config.ldm = dict(
      unet=unet,
      vae=vae,
      text=text,
      weights="",
      tokenizer="",
      blocks=(6, 7, 8, 9, 10),
      timesteps=dict(mode="uniform", low=300, high=500, value=400),
      posterior="sample",
      dtype=dtype,
      image_size=image_size,
      text_len=text_len,
      scale_factor=0.18215,
  )
  config.data = data
  config.extract = dict(batch_size=batch_size, shard_size=shard_size, seed=0)
  # NOTE: the engine needs a stage; every role is frozen, so `train` is
  # refused by the method (it trains nothing) while params/flops work.
  config.stages = [
      dict(
          name="frozen_ldm",
          steps=1,
          batch_size=batch_size,
          optim=dict(name="frozen"),
      )
  ]
  return config


def get_config(arg=None):
  del arg
  config = base(
      SD_V1_UNET,
      SD_V1_VAE,
      CLIP_L14_TEXT,
      image_size=384,
      text_len=77,
      data=dict(kind="manifest", manifest="", size=0, seed=0),
      batch_size=8,
      shard_size=256,
      dtype="bfloat16",
  )
  # `extract-features` refuses an empty ldm.weights (jaxvision/pretrained.py).
  config.allow_random_init = False
  return config
