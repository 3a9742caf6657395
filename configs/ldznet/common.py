"""Pieces shared by the LD-ZNet configs (spec: shared/specs/ldznet.md).

Variants (the config argument): `ldznet` (LDM features of blocks 6-10 by
cross-attention through attention pools), `concat` (the same features
concatenated, Table 3.4), `znet` (no LDM features) and `rgbnet` (ZNet on RGB
through a learnable stem). All train only the `net` role; `ldm` (autoencoder,
CLIP text encoder and, for LD-ZNet, the LDM UNet) is frozen.
"""

import ml_collections

from configs.ldznet import ldm as ldm_configs
from jaxvision import config_lib

VARIANTS = ("ldznet", "concat", "znet", "rgbnet")
# The reference code's prompt templates (spec 5).
PHRASECUT_TEMPLATES = (
    "a photo of a {}.",
    "a photograph of a {}.",
    "an image of a {}.",
    "{}.",
    "a cropped photo of a {}.",
    "a good photo of a {}.",
    "a photo of one {}.",
    "a bad photo of a {}.",
    "a photo of the {}.",
)


def variant(arg) -> str:
  """The variant a config argument names (default ldznet)."""
  return config_lib.parse_arg(
      arg, variant=config_lib.one_of(*VARIANTS, default="ldznet")
  ).variant


def base(
    name: str,
    unet: dict,
    vae: dict,
    text: dict,
    *,
    image_size: int,
    text_len: int,
    dtype: str,
    data: dict,
    eval_datasets: dict,
    stage: dict,
    eval_batch_size: int,
) -> ml_collections.ConfigDict:
  """A full LD-ZNet-family config for variant `name`."""
  ldm = ldm_configs.base(
      unet,
      vae,
      text,
      image_size=image_size,
      text_len=text_len,
      data={},
      batch_size=1,
      shard_size=1,
      dtype=dtype,
  ).ldm
  ldm.enabled = name in ("ldznet", "concat")
  ldm.fusion = "concat" if name == "concat" else "cross_attention"
  ldm.attention_pool = True
  ldm.t_eval = dict(mode="fixed", low=300, high=500, value=400)
  # Train from `extract-features` outputs instead of running the frozen
  # autoencoder and LDM UNet (jaxvision/methods/ldznet/feature_cache.py).
  ldm.feature_cache = ""
  # Tiny-LDM pretraining stages (stage.kind ldm_autoencoder; CPU smoke).
  ldm.pretrain = dict(kl_weight=1e-6)
  config = ml_collections.ConfigDict(
      dict(
          method="ldznet",
          seed=0,
          variant=name,
          ldm=ldm,
          # `train` refuses an empty ldm.weights (jaxvision/pretrained.py).
          allow_random_init=False,
          model=dict(
              input="rgb" if name == "rgbnet" else "z",
              head="ref_upsampler",
              znet_timestep=0,
              init_from_ldm=True,
              dtype=dtype,
          ),
          data=data,
          eval=dict(
              datasets=eval_datasets,
              batch_size=eval_batch_size,
              seed=0,
              miou_mode="per_sample",
              shuffled_prompt_baseline=True,
              threshold=0.5,
          ),
          # extract-features: `epochs` of the `stage`-th stage's training stream.
          extract=dict(
              stage=-1, epochs=1, batch_size=eval_batch_size, shard_size=1000
          ),
          stages=[stage],
          log_every=50,
          checkpoint=dict(every_steps=500, keep=2, async_save=True),
          mesh=dict(data=-1, fsdp=1, tensor=1),
          partition_rules=[],
      )
  )
  return config
