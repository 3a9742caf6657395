"""Quick pretraining of a tiny LDM before LD-ZNet training (spec 12).

The paper's LDM is Stable Diffusion; CPU configs have a tiny SD-architecture
LDM that the spec "quickly pretrains" on the smoke data before the
segmentation net trains. In jaxvision that is two extra stages of the same
run, named by `stage.kind`:

  ldm_autoencoder  the KL autoencoder: L2 reconstruction of a posterior
                   sample + `ldm.pretrain.kl_weight` x KL(q(z|x) || N(0, I));
  ldm_unet         the UNet: epsilon prediction at t ~ U{0..999} on
                   z * ldm.scale_factor of the (now fixed) autoencoder,
                   conditioned on captions that list every shape ("a red
                   circle and a blue square") through the random, frozen
                   CLIP text encoder;
  segment          (default) the LD-ZNet / ZNet / RGBNet training.

Both pretraining stages train the `ldm` role (parts a stage does not use get
zero gradients, so Adam leaves them unchanged) and keep `net` frozen; on
entering the segment stage, `transition` re-initialises the net's UNet from
the pretrained LDM UNet. The segment stage freezes `ldm`, and because an
earlier stage trained it, the engine checkpoints it (it exists nowhere else).
"""

import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.core import method as method_lib
from jaxvision.methods.ldm import features
from jaxvision.models.sd import autoencoder
from jaxvision.models.sd import ldm
from jaxvision.models.sd import schedule as schedule_lib

SEGMENT = "segment"
KINDS = (SEGMENT, "ldm_autoencoder", "ldm_unet")


def stage_kind(stage: ml_collections.ConfigDict) -> str:
  kind = stage.get("kind", SEGMENT)
  if kind not in KINDS:
    raise ValueError(
        f"stages[{stage.get('name', '?')!r}].kind={kind!r}; " f"valid: {KINDS}."
    )
  return kind


def _extractor_and_models(config: ml_collections.ConfigDict):
  """The frozen-branch Extractor and its (UNet, autoencoder, text) modules."""
  extractor = features.from_config(config.ldm)
  return extractor, ldm.models(extractor.config, extractor.dtype)


def autoencoder_step(config: ml_collections.ConfigDict):
  """L2 reconstruction + kl_weight * KL (the spec's tiny-AE pretraining)."""
  _, (_, vae, _) = _extractor_and_models(config)
  kl_weight = config.ldm.pretrain.kl_weight

  def loss_fn(params, batch, rng, state):
    del state
    images = batch["image"]
    mean, logvar = vae.apply(
        {"params": params["vae"]}, images, method=vae.encode
    )
    z = autoencoder.sample_posterior(mean, logvar, rng)
    recon = vae.apply({"params": params["vae"]}, z, method=vae.decode)
    mse = jnp.mean((recon.astype(jnp.float32) - images) ** 2)
    kl = 0.5 * jnp.mean(
        jnp.sum(mean**2 + jnp.exp(logvar) - 1.0 - logvar, axis=(1, 2, 3))
    )
    return mse + kl_weight * kl, {
        "recon_mse": mse,
        "kl": kl,
        "latent_std": jnp.std(mean),
    }

  return method_lib.simple_train_step(loss_fn, role="ldm")


def unet_step(config: ml_collections.ConfigDict):
  """Epsilon-prediction MSE on caption-conditioned, noised scaled latents."""
  extractor, (unet, _, _) = _extractor_and_models(config)
  schedule = schedule_lib.SD_V1

  def loss_fn(params, batch, rng, state):
    del state
    k_examples, k_t, k_noise = jax.random.split(rng, 3)
    keys = jax.random.key_data(
        jax.random.split(k_examples, batch["image"].shape[0])
    )
    # z * ldm.scale_factor (posterior per `ldm.posterior`) and the text
    # context, both under stop_gradient: the autoencoder and text encoder stay
    # fixed.
    z0, context = extractor.encode(
        params, batch["image"], batch["tokens"], keys
    )
    t = jax.random.randint(k_t, z0.shape[:1], 0, schedule.num_timesteps)
    noise = jax.random.normal(k_noise, z0.shape, z0.dtype)
    eps = unet.apply(
        {"params": params["unet"]}, schedule.q_sample(z0, t, noise), t, context
    )
    loss = jnp.mean((eps.astype(jnp.float32) - noise) ** 2)
    return loss, {"eps_mse": loss}

  return method_lib.simple_train_step(loss_fn, role="ldm")


TRAIN_STEPS = {"ldm_autoencoder": autoencoder_step, "ldm_unet": unet_step}
