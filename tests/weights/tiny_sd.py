"""Tiny SD-v1-architecture reference models (diffusers / transformers) and
their files in the real formats, for the converter parity tests.

Same topology as SD v1.x (4 levels, attention at levels 0-2, 2 res blocks,
GEGLU transformers, KL-f8 autoencoder, CLIP text transformer), small widths.
Every parameter gets random noise so that scale/bias swaps or missed
transposes cannot hide behind default inits.
"""

import pathlib

import numpy as np
import torch
import diffusers
import safetensors.torch
import transformers

from jaxvision.models.sd import autoencoder
from jaxvision.models.sd import clip_text
from jaxvision.models.sd import ldm
from jaxvision.models.sd import unet
from jaxvision.weights import sd_v1_names

CONTEXT = 32
TEXT_HEADS = 4
TEXT_LEN = 16

LDM_CONFIG = ldm.LDMConfig(
    unet=unet.UNetConfig(
        model_channels=32,
        channel_mult=(1, 2, 2, 2),
        num_heads=4,
        context_dim=CONTEXT,
        groups=8,
    ),
    vae=autoencoder.AutoencoderConfig(
        ch=16, ch_mult=(1, 2, 2, 2), num_res_blocks=1, groups=8
    ),
    text=clip_text.CLIPTextConfig(
        vocab_size=520,
        hidden_size=CONTEXT,
        num_hidden_layers=2,
        num_attention_heads=TEXT_HEADS,
        intermediate_size=64,
        max_position_embeddings=TEXT_LEN,
    ),
)


def _noise(module: torch.nn.Module, seed: int) -> torch.nn.Module:
  gen = torch.Generator().manual_seed(seed)
  with torch.no_grad():
    for p in module.parameters():
      p.add_(0.05 * torch.randn(p.shape, generator=gen))
  return module.eval()


def build_models(seed: int = 0):
  """(UNet2DConditionModel, AutoencoderKL, CLIPTextModel), random weights."""
  torch.manual_seed(seed)
  u = LDM_CONFIG.unet
  widths = tuple(u.model_channels * m for m in u.channel_mult)
  unet_model = diffusers.UNet2DConditionModel(
      sample_size=16,
      in_channels=4,
      out_channels=4,
      block_out_channels=widths,
      layers_per_block=2,
      down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
      up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
      cross_attention_dim=CONTEXT,
      attention_head_dim=u.num_heads,
      norm_num_groups=u.groups,
  )
  v = LDM_CONFIG.vae
  vae_model = diffusers.AutoencoderKL(
      in_channels=3,
      out_channels=3,
      down_block_types=("DownEncoderBlock2D",) * 4,
      up_block_types=("UpDecoderBlock2D",) * 4,
      block_out_channels=tuple(v.ch * m for m in v.ch_mult),
      layers_per_block=v.num_res_blocks,
      latent_channels=4,
      norm_num_groups=v.groups,
      sample_size=32,
  )
  t = LDM_CONFIG.text
  text_model = transformers.CLIPTextModel(
      transformers.CLIPTextConfig(
          vocab_size=t.vocab_size,
          hidden_size=t.hidden_size,
          num_hidden_layers=t.num_hidden_layers,
          num_attention_heads=t.num_attention_heads,
          intermediate_size=t.intermediate_size,
          max_position_embeddings=t.max_position_embeddings,
          hidden_act="quick_gelu",
          bos_token_id=t.vocab_size - 2,
          eos_token_id=t.vocab_size - 1,
          pad_token_id=t.vocab_size - 1,
      )
  )
  return (
      _noise(unet_model, seed + 1),
      _noise(vae_model, seed + 2),
      _noise(text_model, seed + 3),
  )


def save_diffusers(models, folder: pathlib.Path) -> pathlib.Path:
  """The diffusers folder layout: unet/, vae/, text_encoder/."""
  unet_model, vae_model, text_model = models
  unet_model.save_pretrained(folder / "unet")
  vae_model.save_pretrained(folder / "vae")
  text_model.save_pretrained(folder / "text_encoder")
  return folder


def compvis_state_dict(models) -> dict[str, torch.Tensor]:
  """The CompVis single-file layout, via the converter's inverse name maps.

  The AE attention q/k/v/proj become 1x1 convs as in the original files, and
  schedule buffers sit next to the model weights.
  """
  unet_model, vae_model, text_model = models
  state = {}
  for name, value in unet_model.state_dict().items():
    compvis = sd_v1_names.unet_to_compvis(name, LDM_CONFIG.unet)
    state[sd_v1_names.UNET_PREFIX + compvis] = value.clone()
  for name, value in vae_model.state_dict().items():
    compvis = sd_v1_names.vae_to_compvis(name, LDM_CONFIG.vae)
    if ".mid.attn_1." in compvis and value.ndim == 2:
      value = value[:, :, None, None]
    state[sd_v1_names.VAE_PREFIX + compvis] = value.clone()
  for name, value in text_model.state_dict().items():
    state[sd_v1_names.TEXT_PREFIX + name] = value.clone()
  state["betas"] = torch.linspace(0.00085**0.5, 0.012**0.5, 1000) ** 2
  state["alphas_cumprod"] = torch.cumprod(1 - state["betas"], 0)
  return state


def save_ckpt(models, path: pathlib.Path, ema: bool = False) -> pathlib.Path:
  """A Lightning-style `{"state_dict": ...}` torch zip file."""
  state = compvis_state_dict(models)
  if ema:
    for name in [k for k in state if k.startswith(sd_v1_names.UNET_PREFIX)]:
      key = "model_ema." + name[len("model.") :].replace(".", "")
      state[key] = state[name] * 2.0
  torch.save({"state_dict": state, "global_step": 1}, path)
  return path


def save_safetensors(models, path: pathlib.Path) -> pathlib.Path:
  state = {k: v.contiguous() for k, v in compvis_state_dict(models).items()}
  safetensors.torch.save_file(state, str(path))
  return path


def to_numpy(x: torch.Tensor) -> np.ndarray:
  return x.detach().cpu().numpy()
