"""CompVis (original SD v1.x) <-> diffusers parameter names.

The Flax modules mirror diffusers' names, so a CompVis single-file checkpoint
is first renamed to diffusers names with these prefix tables (the same tables
as diffusers' `convert_diffusers_to_original_stable_diffusion.py`, generalised
to any number of levels / res blocks so tiny test models use them too), and
`invert` gives the reverse direction (used by tests to write CompVis files).
"""

from typing import Mapping

import numpy as np

from jaxvision.models.sd import autoencoder
from jaxvision.models.sd import unet

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
TEXT_PREFIX = "cond_stage_model.transformer."
EMA_PREFIX = "model_ema."

_UNET_RESNET = (
    ("in_layers.0.", "norm1."),
    ("in_layers.2.", "conv1."),
    ("out_layers.0.", "norm2."),
    ("out_layers.3.", "conv2."),
    ("emb_layers.1.", "time_emb_proj."),
    ("skip_connection.", "conv_shortcut."),
)
_VAE_ATTENTION = (
    ("norm.", "group_norm."),
    ("q.", "to_q."),
    ("k.", "to_k."),
    ("v.", "to_v."),
    ("proj_out.", "to_out.0."),
)
# Older diffusers files name the AE attention like this.
_VAE_ATTENTION_LEGACY = (
    ("query.", "to_q."),
    ("key.", "to_k."),
    ("value.", "to_v."),
    ("proj_attn.", "to_out.0."),
)

Pairs = list[tuple[str, str]]


def unet_prefixes(cfg: unet.UNetConfig) -> Pairs:
  """(CompVis prefix, diffusers prefix) for every UNet sub-module."""
  levels, r = len(cfg.channel_mult), cfg.num_res_blocks
  pairs = [
      ("time_embed.0.", "time_embedding.linear_1."),
      ("time_embed.2.", "time_embedding.linear_2."),
      ("input_blocks.0.0.", "conv_in."),
      ("out.0.", "conv_norm_out."),
      ("out.2.", "conv_out."),
      ("middle_block.0.", "mid_block.resnets.0."),
      ("middle_block.1.", "mid_block.attentions.0."),
      ("middle_block.2.", "mid_block.resnets.1."),
  ]
  for i in range(levels):
    attn_down = i in cfg.attention_levels
    attn_up = levels - 1 - i in cfg.attention_levels
    for j in range(r):
      sd = f"input_blocks.{(r + 1) * i + j + 1}."
      pairs.append((sd + "0.", f"down_blocks.{i}.resnets.{j}."))
      if attn_down:
        pairs.append((sd + "1.", f"down_blocks.{i}.attentions.{j}."))
    for j in range(r + 1):
      sd = f"output_blocks.{(r + 1) * i + j}."
      pairs.append((sd + "0.", f"up_blocks.{i}.resnets.{j}."))
      if attn_up:
        pairs.append((sd + "1.", f"up_blocks.{i}.attentions.{j}."))
    if i < levels - 1:
      pairs.append(
          (
              f"input_blocks.{(r + 1) * (i + 1)}.0.op.",
              f"down_blocks.{i}.downsamplers.0.conv.",
          )
      )
      pairs.append(
          (
              f"output_blocks.{(r + 1) * i + r}.{2 if attn_up else 1}.",
              f"up_blocks.{i}.upsamplers.0.",
          )
      )
  return pairs


def vae_prefixes(cfg: autoencoder.AutoencoderConfig) -> Pairs:
  """(CompVis prefix, diffusers prefix) for every autoencoder sub-module."""
  levels = len(cfg.ch_mult)
  pairs = []
  for part in ("encoder", "decoder"):
    pairs += [
        (f"{part}.mid.block_1.", f"{part}.mid_block.resnets.0."),
        (f"{part}.mid.block_2.", f"{part}.mid_block.resnets.1."),
        (f"{part}.mid.attn_1.", f"{part}.mid_block.attentions.0."),
        (f"{part}.norm_out.", f"{part}.conv_norm_out."),
    ]
  for i in range(levels):
    for j in range(cfg.num_res_blocks):
      pairs.append(
          (
              f"encoder.down.{i}.block.{j}.",
              f"encoder.down_blocks.{i}.resnets.{j}.",
          )
      )
    for j in range(cfg.num_res_blocks + 1):
      pairs.append(
          (
              f"decoder.up.{levels - 1 - i}.block.{j}.",
              f"decoder.up_blocks.{i}.resnets.{j}.",
          )
      )
    if i < levels - 1:
      pairs.append(
          (
              f"encoder.down.{i}.downsample.",
              f"encoder.down_blocks.{i}.downsamplers.0.",
          )
      )
      pairs.append(
          (
              f"decoder.up.{levels - 1 - i}.upsample.",
              f"decoder.up_blocks.{i}.upsamplers.0.",
          )
      )
  return pairs


def _rename(name: str, pairs: Pairs) -> str:
  for old, new in pairs:
    if name.startswith(old):
      return new + name[len(old) :]
  return name


def _rename_after(
    name: str, marker: str, pairs: Pairs, skip_index: bool = False
) -> str:
  """Renames what follows `marker` (and an index after it, if `skip_index`)."""
  head, sep, tail = name.partition(marker)
  if not sep:
    return name
  index = ""
  if skip_index:
    index, _, tail = tail.partition(".")
    index += "."
  return head + sep + index + _rename(tail, pairs)


_ATTENTION = ".mid_block.attentions.0."


def unet_to_diffusers(name: str, cfg: unet.UNetConfig) -> str:
  """A CompVis UNet name (without `model.diffusion_model.`) in diffusers."""
  name = _rename(name, unet_prefixes(cfg))
  return _rename_after(name, ".resnets.", list(_UNET_RESNET), skip_index=True)


def vae_to_diffusers(name: str, cfg: autoencoder.AutoencoderConfig) -> str:
  """A CompVis AE name (without `first_stage_model.`), or a legacy diffusers
  one, in current diffusers names."""
  name = _rename(name, vae_prefixes(cfg)).replace(
      ".nin_shortcut.", ".conv_shortcut."
  )
  name = _rename_after(name, _ATTENTION, list(_VAE_ATTENTION))
  return _rename_after(name, _ATTENTION, list(_VAE_ATTENTION_LEGACY))


def invert(pairs: Pairs) -> Pairs:
  return [(new, old) for old, new in pairs]


def unet_to_compvis(name: str, cfg: unet.UNetConfig) -> str:
  """Inverse of `unet_to_diffusers` (tests write CompVis files with it)."""
  name = _rename_after(
      name, ".resnets.", invert(list(_UNET_RESNET)), skip_index=True
  )
  return _rename(name, invert(unet_prefixes(cfg)))


def vae_to_compvis(name: str, cfg: autoencoder.AutoencoderConfig) -> str:
  """Inverse of `vae_to_diffusers`."""
  name = _rename_after(name, _ATTENTION, invert(list(_VAE_ATTENTION)))
  name = name.replace(".conv_shortcut.", ".nin_shortcut.")
  return _rename(name, invert(vae_prefixes(cfg)))


def split_compvis(
    state: Mapping[str, np.ndarray],
) -> tuple[dict[str, dict[str, np.ndarray]], list[str]]:
  """{'unet', 'vae', 'text', 'unet_ema'} sub-dicts (prefixes removed), and the
  names of everything else (noise-schedule buffers and the like)."""
  parts = {"unet": {}, "vae": {}, "text": {}, "unet_ema": {}}
  prefixes = (
      ("unet", UNET_PREFIX),
      ("vae", VAE_PREFIX),
      ("text", TEXT_PREFIX),
      ("unet_ema", EMA_PREFIX),
  )
  ignored = []
  for name, value in state.items():
    for part, prefix in prefixes:
      if name.startswith(prefix):
        parts[part][name[len(prefix) :]] = value
        break
    else:
      ignored.append(name)
  return parts, ignored


def ema_unet(raw_names, ema: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
  """The EMA UNet under CompVis names: EMA copies drop the dots
  (`model_ema.diffusion_modelinput_blocks00weight`)."""
  out, missing = {}, []
  for name in raw_names:
    key = ("diffusion_model." + name).replace(".", "")
    if key in ema:
      out[name] = ema[key]
    else:
      missing.append(name)
  if missing or not out:
    raise ValueError(
        f"The checkpoint has no complete EMA UNet (model_ema.*): "
        f"{len(missing)} of {len(raw_names)} tensors missing. Use "
        "the raw weights (convert sd-v1 --weights raw) or a "
        "*-full-ema checkpoint."
    )
  return out
