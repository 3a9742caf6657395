"""Stable Diffusion v1.x checkpoints -> Flax params {unet, vae, text}.

Sources (read locally, torch not needed):
  * the original single file (`sd-v1-4.ckpt`, `v1-5-pruned-emaonly.safetensors`,
    ...): CompVis names `model.diffusion_model.*`, `first_stage_model.*`,
    `cond_stage_model.transformer.text_model.*`, plus schedule buffers and,
    in `*-full-ema` files, an EMA UNet under `model_ema.*`;
  * a diffusers folder: `unet/`, `vae/`, `text_encoder/` each with
    `config.json` and `*.safetensors` (or `*.bin`), and `tokenizer/`.

`convert` returns `Converted` (architecture + float32 params); `save` writes
`{unet,vae,text}.safetensors` (Flax paths joined by '/'), `config.json` and,
when the source has one, `tokenizer/`; `load` reads that folder back, which is
what the `ldm` config's `ldm.weights` key points at.
"""

import dataclasses
import json
import logging
import os
import pathlib
import re
import shutil
from typing import Any

import numpy as np

from jaxvision.models.sd import autoencoder
from jaxvision.models.sd import clip_text
from jaxvision.models.sd import ldm
from jaxvision.models.sd import unet
from jaxvision.weights import sd_v1_names as names
from jaxvision.weights import torch_pickle
from jaxvision.weights import torch_to_flax

_GIVE_SD_V1 = "give a SD v1.x .ckpt/.safetensors or a diffusers folder"
_SUBFOLDERS = {
    "unet": ("unet", "diffusion_pytorch_model"),
    "vae": ("vae", "diffusion_pytorch_model"),
    "text": ("text_encoder", "model"),
}


@dataclasses.dataclass
class Converted:
  """Architecture of the parts and their float32 numpy params."""

  config: ldm.LDMConfig
  params: dict[str, Any]


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
  """{name: array} of a .safetensors, .ckpt/.pt/.bin (torch zip) file."""
  path = pathlib.Path(path)
  if not path.is_file():
    raise FileNotFoundError(f"No checkpoint file at {str(path)!r}.")
  if path.suffix == ".safetensors":
    return torch_to_flax.read_safetensors(path, _GIVE_SD_V1)
  obj = torch_pickle.load(path)
  if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
    obj = obj["state_dict"]
  if not isinstance(obj, dict):
    raise ValueError(
        f"{str(path)!r} holds a {type(obj).__name__}, not a " "state dict."
    )
  return {k: v for k, v in obj.items() if isinstance(v, np.ndarray)}


def _count(state, pattern: str) -> int:
  regex = re.compile(pattern)
  return len({m.group(1) for k in state if (m := regex.match(k))})


def infer_unet_config(
    state: dict[str, np.ndarray], num_heads: int = 8, groups: int = 32
) -> unet.UNetConfig:
  """UNet architecture from CompVis-named shapes.

  NOTE: the head count and GroupNorm groups leave no trace in the shapes; SD
  v1 uses 8 heads and 32 groups.
  """
  model_channels, in_channels = state["input_blocks.0.0.weight"].shape[:2]
  levels = _count(state, r"input_blocks\.(\d+)\.0\.op\.weight") + 1
  blocks = _count(state, r"input_blocks\.(\d+)\.")
  r = (blocks - 1 - (levels - 1)) // levels
  mult, attention = [], []
  for i in range(levels):
    first = (r + 1) * i + 1
    width = state[f"input_blocks.{first}.0.in_layers.2.weight"].shape[0]
    mult.append(width // model_channels)
    if f"input_blocks.{first}.1.proj_in.weight" in state:
      attention.append(i)
  context = state["middle_block.1.transformer_blocks.0.attn2.to_k.weight"]
  depth = _count(state, r"middle_block\.1\.transformer_blocks\.(\d+)\.")
  return unet.UNetConfig(
      in_channels=in_channels,
      out_channels=state["out.2.weight"].shape[0],
      model_channels=model_channels,
      channel_mult=tuple(mult),
      num_res_blocks=r,
      attention_levels=tuple(attention),
      num_heads=num_heads,
      transformer_depth=depth,
      context_dim=context.shape[1],
      groups=groups,
  )


def infer_vae_config(
    state: dict[str, np.ndarray], groups: int = 32
) -> autoencoder.AutoencoderConfig:
  """Autoencoder architecture from CompVis-named shapes."""
  ch, in_channels = state["encoder.conv_in.weight"].shape[:2]
  levels = _count(state, r"encoder\.down\.(\d+)\.")
  mult = [
      state[f"encoder.down.{i}.block.0.conv1.weight"].shape[0] // ch
      for i in range(levels)
  ]
  return autoencoder.AutoencoderConfig(
      in_channels=in_channels,
      ch=ch,
      ch_mult=tuple(mult),
      num_res_blocks=_count(state, r"encoder\.down\.0\.block\.(\d+)\."),
      z_channels=state["post_quant_conv.weight"].shape[0],
      groups=groups,
  )


def infer_text_config(
    state: dict[str, np.ndarray], num_heads: int | None = None
) -> clip_text.CLIPTextConfig:
  """CLIP text architecture from transformers-named shapes.

  NOTE: heads are not recorded; the default is width // 64 (12 for ViT-L/14).
  """
  vocab, width = state["embeddings.token_embedding.weight"].shape
  return clip_text.CLIPTextConfig(
      vocab_size=vocab,
      hidden_size=width,
      num_hidden_layers=_count(state, r"encoder\.layers\.(\d+)\."),
      num_attention_heads=num_heads or width // 64,
      intermediate_size=state["encoder.layers.0.mlp.fc1.weight"].shape[0],
      max_position_embeddings=state[
          "embeddings.position_embedding.weight"
      ].shape[0],
  )


def _text_names(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
  """transformers CLIPTextModel names without `text_model.` or buffers."""
  return {
      k.removeprefix("text_model."): v
      for k, v in state.items()
      if not k.endswith("position_ids")
  }


def _infer(infer, state: dict[str, np.ndarray], prefix: str, path: str, *args):
  """`infer(state, *args)`; a tensor it needs but the file lacks (named
  under `prefix` as in the file) means the file is not SD v1.x."""
  try:
    return infer(state, *args)
  except KeyError as e:
    raise torch_to_flax.WeightsMismatchError(
        f"not an SD v1.x checkpoint: no tensor {prefix}{e.args[0]} "
        f"({path}); {_GIVE_SD_V1}"
    ) from None


def _to_flax(
    config: ldm.LDMConfig, parts: dict[str, dict[str, np.ndarray]], source: str
) -> Converted:
  expected = ldm.abstract_params(config)
  params = {
      role: torch_to_flax.to_flax(
          parts[role], expected[role], f"{role} weights from {source}"
      )
      for role in ldm.ROLES
  }
  return Converted(config, params)


def convert_single_file(
    path: str | os.PathLike[str],
    weights: str = "raw",
    num_heads: int = 8,
    groups: int = 32,
    text_heads: int | None = None,
) -> Converted:
  """An original SD v1.x `.ckpt` / `.safetensors` file.

  Args:
    path: the checkpoint.
    weights: 'raw' (the `model.diffusion_model.*` UNet) or 'ema' (the
      `model_ema.*` copy of `*-full-ema` files).
    num_heads: UNet attention heads (8 in SD v1; not recorded in the file).
    groups: GroupNorm groups (32 in SD v1).
    text_heads: text-encoder heads (default width // 64: 12 for ViT-L/14).
  """
  path = os.fspath(path)
  parts, ignored = names.split_compvis(read_state_dict(path))
  logging.info(
      "sd_v1: ignoring %d non-model tensors (%s...)", len(ignored), ignored[:3]
  )
  empty = [p for p in ("unet", "vae", "text") if not parts[p]]
  if empty:
    raise torch_to_flax.WeightsMismatchError(
        f"not an SD v1.x single-file checkpoint: no tensors for {empty}, "
        f"whose names start with {names.UNET_PREFIX!r}, {names.VAE_PREFIX!r}, "
        f"{names.TEXT_PREFIX!r} ({path}); {_GIVE_SD_V1}"
    )
  if weights not in ("raw", "ema"):
    raise ValueError(f"weights={weights!r}; use 'raw' or 'ema'.")
  if weights == "ema":
    parts["unet"] = names.ema_unet(list(parts["unet"]), parts["unet_ema"])
  text = _text_names(parts["text"])
  config = ldm.LDMConfig(
      unet=_infer(
          infer_unet_config,
          parts["unet"],
          names.UNET_PREFIX,
          path,
          num_heads,
          groups,
      ),
      vae=_infer(
          infer_vae_config, parts["vae"], names.VAE_PREFIX, path, groups
      ),
      text=_infer(
          infer_text_config,
          text,
          names.TEXT_PREFIX + "text_model.",
          path,
          text_heads,
      ),
  )
  return _to_flax(
      config,
      {
          "unet": {
              names.unet_to_diffusers(k, config.unet): v
              for k, v in parts["unet"].items()
          },
          "vae": {
              names.vae_to_diffusers(k, config.vae): v
              for k, v in parts["vae"].items()
          },
          "text": text,
      },
      path,
  )


def _weights_file(folder: pathlib.Path, stem: str) -> pathlib.Path:
  for name in (
      f"{stem}.safetensors",
      f"{stem}.fp16.safetensors",
      f"{stem}.bin",
      f"{stem}.fp16.bin",
      "pytorch_model.bin",
  ):
    if (folder / name).is_file():
      return folder / name
  raise FileNotFoundError(
      f"No {stem}.safetensors (or .bin) in {str(folder)!r}."
  )


def _read_json(path: pathlib.Path) -> dict[str, Any]:
  if not path.is_file():
    raise FileNotFoundError(
        f"Missing {str(path)!r} (a diffusers SD v1 folder "
        "has unet/, vae/, text_encoder/ with config.json)."
    )
  with open(path, encoding="utf-8") as f:
    return json.load(f)


def diffusers_config(folder: pathlib.Path) -> ldm.LDMConfig:
  """Architecture from the diffusers / transformers `config.json` files."""
  u = _read_json(folder / "unet" / "config.json")
  if u.get("use_linear_projection", False):
    raise ValueError(
        "unet/config.json has use_linear_projection=true (SD v2 "
        "style); only SD v1.x is supported."
    )
  widths = u["block_out_channels"]
  heads = u.get("num_attention_heads") or u.get("attention_head_dim", 8)
  if isinstance(heads, list):
    if len(set(heads)) != 1:
      raise ValueError(f"Per-level head counts {heads} are not SD v1.")
    heads = heads[0]
  v = _read_json(folder / "vae" / "config.json")
  t = _read_json(folder / "text_encoder" / "config.json")
  text_fields = {f.name for f in dataclasses.fields(clip_text.CLIPTextConfig)}
  return ldm.LDMConfig(
      unet=unet.UNetConfig(
          in_channels=u["in_channels"],
          out_channels=u["out_channels"],
          model_channels=widths[0],
          channel_mult=tuple(w // widths[0] for w in widths),
          num_res_blocks=u["layers_per_block"],
          attention_levels=tuple(
              i
              for i, kind in enumerate(u["down_block_types"])
              if kind.startswith("CrossAttn")
          ),
          num_heads=heads,
          transformer_depth=u.get("transformer_layers_per_block", 1) or 1,
          context_dim=u["cross_attention_dim"],
          groups=u["norm_num_groups"],
      ),
      vae=autoencoder.AutoencoderConfig(
          in_channels=v["in_channels"],
          ch=v["block_out_channels"][0],
          ch_mult=tuple(
              w // v["block_out_channels"][0] for w in v["block_out_channels"]
          ),
          num_res_blocks=v["layers_per_block"],
          z_channels=v["latent_channels"],
          groups=v["norm_num_groups"],
      ),
      text=clip_text.CLIPTextConfig(
          **{k: v for k, v in t.items() if k in text_fields}
      ),
  )


def convert_diffusers(folder: str | os.PathLike[str]) -> Converted:
  """A diffusers SD v1.x folder (unet/, vae/, text_encoder/)."""
  folder = pathlib.Path(folder)
  config = diffusers_config(folder)
  states = {
      role: read_state_dict(_weights_file(folder / sub, stem))
      for role, (sub, stem) in _SUBFOLDERS.items()
  }
  return _to_flax(
      config,
      {
          "unet": states["unet"],
          "vae": {
              names.vae_to_diffusers(k, config.vae): v
              for k, v in states["vae"].items()
          },
          "text": _text_names(states["text"]),
      },
      os.fspath(folder),
  )


def convert(src: str | os.PathLike[str], **single_file_kwargs) -> Converted:
  """A diffusers folder or a single-file checkpoint."""
  if pathlib.Path(src).is_dir():
    return convert_diffusers(src)
  return convert_single_file(src, **single_file_kwargs)


def save(
    converted: Converted,
    dst: str | os.PathLike[str],
    tokenizer: str | os.PathLike[str] | None = None,
) -> None:
  """Writes {unet,vae,text}.safetensors, config.json and tokenizer/."""
  dst = pathlib.Path(dst)
  dst.mkdir(parents=True, exist_ok=True)
  for role in ldm.ROLES:
    torch_to_flax.save_tree(dst / f"{role}.safetensors", converted.params[role])
  with open(dst / "config.json", "w", encoding="utf-8") as f:
    json.dump(converted.config.to_dict(), f, indent=1)
  if tokenizer is not None:
    tok = pathlib.Path(tokenizer)
    if tok.is_file():
      shutil.copy(tok, dst / tok.name)
    else:
      (dst / "tokenizer").mkdir(exist_ok=True)
      for name in ("vocab.json", "merges.txt"):
        shutil.copy(tok / name, dst / "tokenizer" / name)


def load(
    folder: str | os.PathLike[str], roles: tuple[str, ...] = ldm.ROLES
) -> Converted:
  """Reads a folder written by `save` (only the given roles' params)."""
  folder = pathlib.Path(folder)
  config = ldm.LDMConfig.from_dict(_read_json(folder / "config.json"))
  return Converted(
      config,
      {
          role: torch_to_flax.load_tree(folder / f"{role}.safetensors")
          for role in roles
      },
  )


def find_tokenizer(src: str | os.PathLike[str]) -> pathlib.Path | None:
  """The tokenizer files next to a source checkpoint, if any."""
  src = pathlib.Path(src)
  folder = src if src.is_dir() else src.parent
  if (folder / "tokenizer" / "vocab.json").is_file():
    return folder / "tokenizer"
  gz = folder / "bpe_simple_vocab_16e6.txt.gz"
  return gz if gz.is_file() else None
