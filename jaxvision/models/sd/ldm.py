"""The three SD v1.x parts together: configs and parameter initialisation.

The LDM method, the converter and the feature extractor all need "the params
of (UNet, autoencoder, text encoder) for these configs"; this module is that
one place, keyed by the roles the method uses: unet / vae / text.
"""

import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp

from jaxvision.models.sd import autoencoder as vae_lib
from jaxvision.models.sd import clip_text as text_lib
from jaxvision.models.sd import unet as unet_lib

ROLES = ("unet", "vae", "text")


@dataclasses.dataclass(frozen=True)
class LDMConfig:
  """Architecture of the three parts (defaults: SD v1.x)."""

  unet: unet_lib.UNetConfig = unet_lib.SD_V1
  vae: vae_lib.AutoencoderConfig = vae_lib.SD_V1
  text: text_lib.CLIPTextConfig = text_lib.VIT_L_14

  def to_dict(self) -> dict[str, dict[str, Any]]:
    return {role: dataclasses.asdict(getattr(self, role)) for role in ROLES}

  def architecture(self) -> "LDMConfig":
    """The weights' architecture: the UNet's program knobs (remat,
    attention) at their defaults, as converted weights and caches record it."""
    return dataclasses.replace(self, unet=self.unet.architecture())

  @classmethod
  def from_dict(cls, d: dict[str, dict[str, Any]]) -> "LDMConfig":
    """From `to_dict` output or a config's ldm.{unet,vae,text} sub-dicts."""
    types = {
        "unet": unet_lib.UNetConfig,
        "vae": vae_lib.AutoencoderConfig,
        "text": text_lib.CLIPTextConfig,
    }
    parts = {}
    for role, cls_ in types.items():
      fields = {f.name for f in dataclasses.fields(cls_)}
      given = dict(d.get(role, {}))
      unknown = sorted(set(given) - fields)
      if unknown:
        raise ValueError(
            f"Unknown {role} architecture keys {unknown}; valid: "
            f"{sorted(fields)}."
        )
      parts[role] = cls_(
          **{
              k: tuple(v) if isinstance(v, list) else v
              for k, v in given.items()
          }
      )
    return cls(**parts)


def models(cfg: LDMConfig, dtype: Any = jnp.float32):
  """(UNet, AutoencoderKL, CLIPTextModel) modules."""
  return (
      unet_lib.UNet(cfg.unet, dtype),
      vae_lib.AutoencoderKL(cfg.vae, dtype),
      text_lib.CLIPTextModel(cfg.text, dtype),
  )


def init_params(cfg: LDMConfig, rng: jax.Array) -> dict[str, Any]:
  """Random params {unet, vae, text} (shapes only need tiny dummy inputs)."""
  unet_model, vae_model, text_model = models(cfg)
  size = cfg.vae.downsample_factor
  grid = 2 ** (len(cfg.unet.channel_mult) - 1)
  k_unet, k_vae, k_text = jax.random.split(rng, 3)
  latent = jnp.zeros((1, grid, grid, cfg.unet.in_channels))
  context = jnp.zeros((1, 1, cfg.unet.context_dim))
  return {
      "unet": unet_model.init(k_unet, latent, jnp.zeros((1,)), context)[
          "params"
      ],
      "vae": vae_model.init(
          k_vae, jnp.zeros((1, size, size, cfg.vae.in_channels))
      )["params"],
      "text": text_model.init(k_text, jnp.zeros((1, 1), jnp.int32))["params"],
  }


@functools.lru_cache(maxsize=8)
def abstract_params(cfg: LDMConfig) -> dict[str, Any]:
  """ShapeDtypeStructs of `init_params` (nothing is computed; cached)."""
  return jax.eval_shape(lambda: init_params(cfg, jax.random.key(0)))
