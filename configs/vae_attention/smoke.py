r"""VAE-attention smoke run: anomaly localisation on blobs-with-defects (CPU).

Spec 12A: a one-class conv VAE (1 -> 16 -> 32 -> 64 channels, k4 s2 p1, maps
16/8/4, FC 128, D = 8) learns 32x32 rings; test images (200 with a square or
scratch defect + 100 normal) are explained with NDD attention at the 8x8 tap
(conv2): SA, DA with J = 16 samples and the fused DA map (alpha 10,
beta 0.5), against the |x - x_hat| diffmap baseline. Attention PNGs go to
WORKDIR/attention/test_maps.png.

  python -m jaxvision.main train --config configs/vae_attention/smoke.py \
      --workdir workdirs/vae_attention_smoke

Expected (see docs/methods/vae_attention.md for the measured numbers): loss
falls by more than 50%; pixel_auroc_sa well above 0.5 (spec target 0.75).
"""

from configs.vae_attention import common


def get_config(arg=None):
  del arg
  model = common.conv_vae(
      image_shape=(32, 32, 1),
      features=(16, 32, 64),
      fc=(128,),
      latent_dim=8,
      decoder_fc=(128,),
      start_shape=(4, 4, 64),
      decoder_features=(32, 16, 1),
  )
  data = dict(
      name="blobs_defects",
      seed=0,
      image_size=32,
      sizes=dict(num_train=4000, num_anomalous=200, num_normal=100),
  )
  stage = dict(name="train", steps=600, batch_size=64, optim=common.adam(1e-3))
  config = common.base(
      model,
      data,
      stage,
      target_layer="conv2",
      recon="mse",
      eval_cfg=common.anomaly_eval(batch_size=100, num_png=8),
  )
  config.da.num_samples = 16
  config.log_every = 50
  config.checkpoint.every_steps = 300
  return config
