r"""Disentanglement smoke run on mini-sprites (spec 12B, CPU).

The full 2 x 4 x 8 x 8 grid (shape, scale, x, y) of 32x32 binary sprites.
Encoder Conv 32/32/64 (k4 s2; maps 16/8/4) -> FC 64 -> D = 6; discriminator
3 x 128; gamma = 10; AD-FactorVAE adds lambda = 1 L_AD on latent dims 0 and 1
(SA, last conv). 800 steps of 64 + 64 images. Arg: family=ad_factor_vae
(default) or family=factor_vae. Evaluation: Kim & Mnih metric with L = 50,
200 / 200 votes (chance = 0.25), mean pairwise attention overlap, and the
Bernoulli reconstruction NLL.

  python -m jaxvision.main train --config configs/vae_attention/smoke_disentangle.py \
      --workdir workdirs/vae_sprites_smoke
"""

from configs.vae_attention import common
from jaxvision import config_lib


def get_config(arg=None):
  family = config_lib.parse_arg(
      arg,
      family=config_lib.one_of(
          "ad_factor_vae", "factor_vae", default="ad_factor_vae"
      ),
  ).family
  model = common.conv_vae(
      image_shape=(32, 32, 1),
      features=(32, 32, 64),
      fc=(64,),
      latent_dim=6,
      decoder_fc=(64,),
      start_shape=(4, 4, 64),
      decoder_features=(32, 32, 1),
  )
  model["family"] = family
  model["disc"] = dict(hidden=128, layers=3)
  data = dict(name="minisprites", image_size=32)
  stage = dict(
      name="train",
      steps=800,
      batch_size=128,
      optim=dict(
          model=common.adam(1e-3), disc=common.adam(1e-4, b1=0.5, b2=0.9)
      ),
  )
  config = common.base(
      model,
      data,
      stage,
      target_layer="conv3",
      recon="bernoulli_logits",
      eval_cfg=common.disentanglement_eval(
          train_votes=200,
          eval_votes=200,
          vote_batch=50,
          scale_samples=512,
          overlap_images=128,
      ),
  )
  config.attention.latent_source = "posterior"
  config.log_every = 100
  config.checkpoint.every_steps = 400
  return config
