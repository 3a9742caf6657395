r"""AD-FactorVAE on dSprites (spec 3.5, Table 7.6, Fig. 7.11).

Kim & Mnih FactorVAE settings [208]: encoder Conv 32/32/64/64 (k4 s2) -> FC
128 -> 2 x 10; decoder mirror with Bernoulli logits; discriminator 6 x 1000
LeakyReLU(0.2); VAE Adam 1e-4 (0.9, 0.999), discriminator Adam 1e-4
(0.5, 0.9); 3e5 iterations of 64 + 64 images (batch_size counts the VAE
half and the second, permuted half). L_AD (lambda = 1 [DEFAULT]) on the
element attention maps of the last conv (4x4x64).

Args (comma separated): gamma=10|40, pairs=1|3, attention=sa|da,
family=ad_factor_vae|factor_vae. Table 7.6: 1 pair 0.90 (gamma 10) / 0.91
(gamma 40); 3 pairs 0.93 / 0.93. FactorVAE (gamma 40) 0.82.

  python -m jaxvision.main train --config configs/vae_attention/dsprites.py:gamma=10,pairs=3 \
      --workdir workdirs/ad_factorvae --config.data.root=/path/to/dsprites.npz
"""

from configs.vae_attention import common
from jaxvision import config_lib


def get_config(arg=None):
  args = config_lib.parse_arg(
      arg,
      gamma=config_lib.one_of(10, 40, default=10),
      pairs=config_lib.one_of(1, 3, default=1),
      attention=config_lib.one_of("sa", "da", default="sa"),
      family=config_lib.one_of(
          "ad_factor_vae", "factor_vae", default="ad_factor_vae"
      ),
  )
  model = common.conv_vae(
      image_shape=(64, 64, 1),
      features=(32, 32, 64, 64),
      fc=(128,),
      latent_dim=10,
      decoder_fc=(128,),
      start_shape=(4, 4, 64),
      decoder_features=(64, 32, 32, 1),
  )
  model["family"] = args.family
  data = dict(name="dsprites", root="~/data/dsprites", image_size=64)
  stage = dict(
      name="train",
      steps=300_000,
      batch_size=128,
      optim=dict(
          model=common.adam(1e-4), disc=common.adam(1e-4, b1=0.5, b2=0.9)
      ),
  )
  config = common.base(
      model,
      data,
      stage,
      target_layer="conv4",
      recon="bernoulli_logits",
      eval_cfg=common.disentanglement_eval(),
  )
  config.factor.gamma = float(args.gamma)
  config.ad.dims = [0, 1] if args.pairs == 1 else [0, 1, 2]
  config.ad.attention = args.attention
  config.attention.latent_source = "posterior"
  return config
