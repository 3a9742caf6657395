"""A micro LDM config for fast CPU tests: ldm_tiny with fewer, narrower
layers (2-level UNet with attention at both: 7 spatial-attention blocks --
2 encoder, 1 middle, 4 decoder; AE f = 8 with 8 channels; 1 text layer).
The code paths are the SD v1 ones; only sizes change."""

from jaxvision import config_lib

OVERRIDES = [
    "ldm.unet.model_channels=8",
    "ldm.unet.channel_mult=(1, 2)",
    "ldm.unet.num_res_blocks=1",
    "ldm.unet.attention_levels=(0, 1)",
    "ldm.unet.num_heads=2",
    "ldm.unet.groups=4",
    "ldm.unet.context_dim=16",
    "ldm.vae.ch=8",
    "ldm.vae.ch_mult=(1, 1, 1, 1)",
    "ldm.vae.groups=4",
    "ldm.text.hidden_size=16",
    "ldm.text.num_hidden_layers=1",
    "ldm.text.num_attention_heads=2",
    "ldm.text.intermediate_size=32",
    "ldm.text.max_position_embeddings=8",
    "ldm.text_len=8",
    "ldm.image_size=32",
    "ldm.blocks=(2, 3, 4)",
    "data.size=10",
    "extract.shard_size=4",
    "extract.batch_size=4",
]


def config(*extra: str):
  return config_lib.load_config(
      "configs/ldznet/ldm_tiny.py", OVERRIDES + list(extra)
  )
