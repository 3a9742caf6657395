"""LDM feature extraction: images + prompts -> spatial-attention activations.

One pass per batch (spec 3.5 step 1): CLIP text tokens -> context; image ->
autoencoder posterior -> z (sampled or mode) * scale_factor (SD: 0.18215);
z_t = q_sample(z, t, eps); one UNet pass that returns F_k, the output of the
k-th spatial transformer (1-6 encoder, 7 middle, 8-16 decoder), for the
requested blocks and stops after the last one. Everything runs under
`stop_gradient`.

Randomness comes from one PRNG key *per example* (raw uint32[2] key data), so
an example's t, posterior sample and noise do not depend on the batch it sits
in, on the device count, or on where a resumed extraction restarted.
"""

import dataclasses
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.core import sharding
from jaxvision.models.sd import autoencoder
from jaxvision.models.sd import ldm
from jaxvision.models.sd import schedule as schedule_lib

Params = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Timesteps:
  """How t is chosen: `fixed` (every example t = `value`) or `uniform` (per
  example from {low, ..., high - 1}; the reference code's U{300..499})."""

  mode: str = "uniform"
  low: int = 300
  high: int = 500
  value: int = 400

  def __post_init__(self):
    if self.mode not in ("fixed", "uniform"):
      raise ValueError(
          f"ldm.timesteps.mode={self.mode!r}: use 'fixed' or " "'uniform'."
      )
    n = schedule_lib.NUM_TIMESTEPS
    if not (0 <= self.low < self.high <= n and 0 <= self.value < n):
      raise ValueError(
          f"Timesteps {self} out of range: t is 0-indexed in "
          f"0..{n - 1} (use 999 for 't = 1000')."
      )

  def sample(self, key: jax.Array) -> jax.Array:
    if self.mode == "fixed":
      return jnp.asarray(self.value, jnp.int32)
    return jax.random.randint(key, (), self.low, self.high, jnp.int32)


@dataclasses.dataclass(frozen=True)
class Extractor:
  """The feature pipeline for one architecture and block selection."""

  config: ldm.LDMConfig
  blocks: tuple[int, ...] = (6, 7, 8, 9, 10)
  timesteps: Timesteps = Timesteps()
  posterior: str = "sample"
  dtype: Any = jnp.float32
  # SD v1's 0.18215 (about 1 / std(z) of its autoencoder): the UNet and ZNet
  # see z * scale_factor.
  scale_factor: float = autoencoder.SCALE_FACTOR

  def __post_init__(self):
    if self.posterior not in ("sample", "mode"):
      raise ValueError(
          f"ldm.posterior={self.posterior!r}: use 'sample' or " "'mode'."
      )
    n = self.config.unet.num_attention_blocks
    bad = [b for b in self.blocks if not 1 <= b <= n]
    if not self.blocks or bad:
      raise ValueError(
          f"ldm.blocks={self.blocks}: blocks are numbered 1..{n} "
          "(SD v1: 1-6 encoder, 7 middle, 8-16 decoder)."
      )

  def __call__(
      self,
      params: Params,
      images: jax.Array,
      tokens: jax.Array,
      keys: jax.Array,
      t: jax.Array | None = None,
  ) -> dict[int, jax.Array]:
    """Features {block: [B, h, w, C]}.

    Args:
      params: {unet, vae, text} params.
      images: [B, H, W, 3] in [-1, 1].
      tokens: [B, L] CLIP token ids (`clip_tokenizer.encode`).
      keys: [B, 2] uint32 raw PRNG keys, one per example.
      t: optional int [B] timesteps; default: drawn by `self.timesteps`.
    """
    check_inputs(self.config, images, tokens, keys)
    z, context = self.encode(params, images, tokens, keys)
    return self.from_latents(params, z, context, keys, t)

  def encode(
      self,
      params: Params,
      images: jax.Array,
      tokens: jax.Array,
      keys: jax.Array,
  ) -> tuple[jax.Array, jax.Array]:
    """(z * scale_factor, text context): the inputs LD-ZNet's trainable branch
    needs anyway, so a method can share them with `from_latents`."""
    params = jax.lax.stop_gradient(params)
    vae_model = ldm.models(self.config, self.dtype)[1]
    context = self.encode_text(params, tokens)
    mean, logvar = vae_model.apply(
        {"params": params["vae"]}, images, method=vae_model.encode
    )
    z = mean
    if self.posterior == "sample":
      z = jax.vmap(autoencoder.sample_posterior)(
          mean, logvar, _split(keys)[:, 1]
      )
    return jax.lax.stop_gradient(z * self.scale_factor), context

  def encode_text(self, params: Params, tokens: jax.Array) -> jax.Array:
    """The CLIP text context [B, L, D] of token ids [B, L]."""
    text_model = ldm.models(self.config, self.dtype)[2]
    return jax.lax.stop_gradient(
        text_model.apply(
            {"params": jax.lax.stop_gradient(params["text"])}, tokens
        )
    )

  def from_latents(
      self,
      params: Params,
      z: jax.Array,
      context: jax.Array,
      keys: jax.Array,
      t: jax.Array | None = None,
  ) -> dict[int, jax.Array]:
    """Noise scaled latents to z_t and run the UNet up to the last block."""
    params = jax.lax.stop_gradient(params)
    t = self.draw_timesteps(keys) if t is None else t
    noise = jax.vmap(lambda k: jax.random.normal(k, z.shape[1:], z.dtype))(
        _split(keys)[:, 2]
    )
    z_t = schedule_lib.SD_V1.q_sample(z, t, noise)
    unet_model = ldm.models(self.config, self.dtype)[0]
    feats = unet_model.apply(
        {"params": params["unet"]}, z_t, t, context, capture=self.blocks
    )
    return jax.lax.stop_gradient(feats)

  def draw_timesteps(self, keys: jax.Array) -> jax.Array:
    """int32 [B] timesteps of the examples with these raw keys."""
    return jax.vmap(self.timesteps.sample)(_split(keys)[:, 0])

  def feature_shapes(self, image_size: int) -> dict[int, tuple[int, ...]]:
    """(h, w, C) of every selected block for square `image_size` images."""
    shapes = jax.eval_shape(
        self,
        ldm.abstract_params(self.config),
        jax.ShapeDtypeStruct(
            (1, image_size, image_size, self.config.vae.in_channels),
            jnp.float32,
        ),
        jax.ShapeDtypeStruct(
            (1, self.config.text.max_position_embeddings), jnp.int32
        ),
        jax.ShapeDtypeStruct((1, 2), jnp.uint32),
    )
    return {k: tuple(v.shape[1:]) for k, v in shapes.items()}


def _split(keys: jax.Array) -> jax.Array:
  """[B, 2] raw keys -> [B, 3] typed keys: (timestep, posterior, noise)."""
  return jax.vmap(lambda k: jax.random.split(jax.random.wrap_key_data(k), 3))(
      keys
  )


def check_inputs(cfg: ldm.LDMConfig, images, tokens, keys) -> None:
  factor = cfg.vae.downsample_factor * 2 ** (len(cfg.unet.channel_mult) - 1)
  if (
      images.ndim != 4
      or images.shape[-1] != cfg.vae.in_channels
      or (images.shape[1] % factor or images.shape[2] % factor)
  ):
    raise ValueError(
        f"images must be [B, H, W, {cfg.vae.in_channels}] with H "
        f"and W divisible by {factor}; got {images.shape}."
    )
  batch = images.shape[0]
  if tokens.shape[0] != batch or keys.shape != (batch, 2):
    raise ValueError(
        f"Batch mismatch: images {images.shape}, tokens "
        f"{tokens.shape}, keys {keys.shape} (want [{batch}, 2] "
        "uint32 key data, one key per example)."
    )


def from_config(ldm_cfg: ml_collections.ConfigDict) -> Extractor:
  """An Extractor from a config's `ldm` section."""
  return Extractor(
      config=architecture(ldm_cfg),
      blocks=tuple(ldm_cfg.blocks),
      timesteps=Timesteps(**ldm_cfg.timesteps.to_dict()),
      posterior=ldm_cfg.posterior,
      dtype=jnp.dtype(ldm_cfg.dtype),
      scale_factor=ldm_cfg.get("scale_factor", autoencoder.SCALE_FACTOR),
  )


def architecture(ldm_cfg: ml_collections.ConfigDict) -> ldm.LDMConfig:
  return ldm.LDMConfig.from_dict(
      {role: ldm_cfg[role].to_dict() for role in ldm.ROLES}
  )


def example_keys(seed: int, indices: Sequence[int] | jax.Array) -> jax.Array:
  """Per-example raw keys fold_in(key(seed), index): stable across batching."""
  base = jax.random.key(seed)
  return jax.vmap(lambda i: jax.random.key_data(jax.random.fold_in(base, i)))(
      jnp.asarray(indices, jnp.uint32)
  )


def sharded(extractor: Extractor, mesh: jax.sharding.Mesh):
  """`extractor` jitted with params replicated and the batch split over the
  mesh's data axes (outputs stay batch-sharded); t comes from
  `extractor.timesteps`."""
  replicated, batch = sharding.replicated(mesh), sharding.batch_sharding(mesh)
  return jax.jit(
      extractor,
      in_shardings=(replicated, batch, batch, batch),
      out_shardings=batch,
  )
