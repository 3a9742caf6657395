"""The SD v1.x KL-regularised autoencoder (f = 8, 4 latent channels).

The dissertation calls it a VQGAN; SD v1 uses the KL variant (no quantiser).
`encode` returns the posterior's mean and log-variance (clamped to [-30, 20]);
the UNet sees `SCALE_FACTOR * z` (spec pitfall 1) and `decode` expects
unscaled z.
"""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.models.sd import attention
from jaxvision.models.sd import layers

# NOTE: SD v1's `scale_factor`: roughly 1 / std of the latents; the UNet was
# trained on z * 0.18215.
SCALE_FACTOR = 0.18215


@dataclasses.dataclass(frozen=True)
class AutoencoderConfig:
  """Autoencoder hyper-parameters (CompVis `ddconfig` names)."""

  in_channels: int = 3
  ch: int = 128
  ch_mult: tuple[int, ...] = (1, 2, 4, 4)
  num_res_blocks: int = 2
  z_channels: int = 4
  groups: int = 32

  @property
  def widths(self) -> tuple[int, ...]:
    return tuple(self.ch * m for m in self.ch_mult)

  @property
  def downsample_factor(self) -> int:
    return 2 ** (len(self.ch_mult) - 1)


SD_V1 = AutoencoderConfig()


def _resnet(cfg: AutoencoderConfig, features: int, dtype, name: str):
  return layers.ResnetBlock(features, cfg.groups, 1e-6, dtype, name=name)


class MidBlock(nn.Module):
  """ResBlock -> single-head self-attention -> ResBlock."""

  config: AutoencoderConfig
  features: int
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, h: jax.Array) -> jax.Array:
    h = _resnet(self.config, self.features, self.dtype, "resnets_0")(h)
    h = attention.VAEAttention(
        self.config.groups, self.dtype, name="attentions_0"
    )(h)
    return _resnet(self.config, self.features, self.dtype, "resnets_1")(h)


class Sampler(nn.Module):
  """A level's ResBlocks followed by an optional (down|up)sampler."""

  config: AutoencoderConfig
  features: int
  num_res: int
  sampler: str | None
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, h: jax.Array) -> jax.Array:
    for j in range(self.num_res):
      h = _resnet(self.config, self.features, self.dtype, f"resnets_{j}")(h)
    if self.sampler == "down":
      h = layers.Downsample(
          self.features,
          asymmetric=True,
          dtype=self.dtype,
          name="downsamplers_0",
      )(h)
    elif self.sampler == "up":
      h = layers.Upsample(self.features, self.dtype, name="upsamplers_0")(h)
    return h


class Encoder(nn.Module):
  """RGB in [-1, 1] -> 2 * z_channels moments at 1/8 resolution."""

  config: AutoencoderConfig
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    cfg, widths = self.config, self.config.widths
    h = layers.conv(widths[0], 3, "conv_in", self.dtype)(x.astype(self.dtype))
    for i, width in enumerate(widths):
      down = "down" if i < len(widths) - 1 else None
      h = Sampler(
          cfg,
          width,
          cfg.num_res_blocks,
          down,
          self.dtype,
          name=f"down_blocks_{i}",
      )(h)
    h = MidBlock(cfg, widths[-1], self.dtype, name="mid_block")(h)
    h = nn.silu(layers.group_norm(cfg.groups, 1e-6, "conv_norm_out")(h))
    return layers.conv(2 * cfg.z_channels, 3, "conv_out", self.dtype)(h)


class Decoder(nn.Module):
  """z (unscaled) -> RGB in about [-1, 1]."""

  config: AutoencoderConfig
  dtype: layers.Dtype = jnp.float32

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    cfg, widths = self.config, self.config.widths[::-1]
    h = layers.conv(widths[0], 3, "conv_in", self.dtype)(z.astype(self.dtype))
    h = MidBlock(cfg, widths[0], self.dtype, name="mid_block")(h)
    for i, width in enumerate(widths):
      up = "up" if i < len(widths) - 1 else None
      h = Sampler(
          cfg,
          width,
          cfg.num_res_blocks + 1,
          up,
          self.dtype,
          name=f"up_blocks_{i}",
      )(h)
    h = nn.silu(layers.group_norm(cfg.groups, 1e-6, "conv_norm_out")(h))
    return layers.conv(cfg.in_channels, 3, "conv_out", jnp.float32)(h)


class AutoencoderKL(nn.Module):
  """Encoder + quant_conv (moments) and post_quant_conv + Decoder."""

  config: AutoencoderConfig = SD_V1
  dtype: layers.Dtype = jnp.float32

  def setup(self):
    z = self.config.z_channels
    self.encoder = Encoder(self.config, self.dtype)
    self.decoder = Decoder(self.config, self.dtype)
    self.quant_conv = layers.conv(2 * z, 1, "quant_conv", jnp.float32)
    self.post_quant_conv = layers.conv(z, 1, "post_quant_conv", self.dtype)

  def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """[B, H, W, 3] in [-1, 1] -> posterior (mean, logvar), [B, H/8, W/8, z]."""
    moments = self.quant_conv(self.encoder(x).astype(jnp.float32))
    mean, logvar = jnp.split(moments, 2, axis=-1)
    return mean, jnp.clip(logvar, -30.0, 20.0)

  def decode(self, z: jax.Array) -> jax.Array:
    """Unscaled latents -> [B, 8h, 8w, 3] images."""
    return self.decoder(self.post_quant_conv(z))

  def __call__(self, x: jax.Array) -> jax.Array:
    """Reconstruction through the posterior mean (used for init)."""
    return self.decode(self.encode(x)[0])


def sample_posterior(
    mean: jax.Array, logvar: jax.Array, rng: jax.Array | None
) -> jax.Array:
  """z = mean + exp(logvar / 2) * eps; the mode (mean) when rng is None."""
  if rng is None:
    return mean
  return mean + jnp.exp(0.5 * logvar) * jax.random.normal(
      rng, mean.shape, mean.dtype
  )
