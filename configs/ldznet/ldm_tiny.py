r"""Tiny SD-v1-architecture LDM for CPU: same code paths, small widths.

UNet 32/64/128/128 channels (GN 8 groups, 4 heads, attention at levels 0-2:
16 spatial-attention blocks), autoencoder ch 16 with (1, 2, 2, 2) and one
ResBlock per level (f = 8), CLIP text width 32, 2 layers, context 16, and the
merge-free byte-level CLIP tokenizer; random weights (spec 12). 64x64 images
-> 8x8x4 latents; blocks 6, 8, 9, 10 are 2x2x128 and block 7 is 1x1x128.

  python -m jaxvision.main params --config configs/ldznet/ldm_tiny.py
  python -m jaxvision.main extract-features --config configs/ldznet/ldm_tiny.py \
      --out /tmp/ldm_tiny_features
"""

from configs.ldznet import ldm


def get_config(arg=None):
  del arg
  unet = dict(
      ldm.SD_V1_UNET, model_channels=32, num_heads=4, context_dim=32, groups=8
  )
  vae = dict(
      ldm.SD_V1_VAE, ch=16, ch_mult=(1, 2, 2, 2), num_res_blocks=1, groups=8
  )
  text = dict(
      ldm.CLIP_L14_TEXT,
      vocab_size=514,
      hidden_size=32,
      num_hidden_layers=2,
      num_attention_heads=4,
      intermediate_size=64,
      max_position_embeddings=16,
  )
  return ldm.base(
      unet,
      vae,
      text,
      image_size=64,
      text_len=16,
      data=dict(kind="synthetic", manifest="", size=24, seed=0),
      batch_size=8,
      shard_size=16,
      dtype="float32",
  )
