r"""UCSD Ped1 anomaly localisation (spec 3.1, 5, Tables 7.1 / 7.5).

100x100 gray frames [TEXT]; three stride-2 convs giving 50x50 (conv1),
25x25 (conv2) and 12x12 (conv3) taps [TEXT] with [DEFAULT] 64/128/256
channels, FC 1024, D = 32; decoder FC -> 256x12x12 -> ConvT 24/48/96 ->
bilinear resize to 100x100. MSE + KL, Adam 1e-3, batch 64, 100 epochs of the
6,800 training frames (10,600 steps). The arg picks the tap (Table 7.1:
conv1 0.89, conv2 0.92, conv3 0.91 pixel AUROC; diffmap 0.86; DA 0.95).

Arg: layer=conv1|conv2|conv3 (default conv2).

  python -m jaxvision.main train --config configs/vae_attention/ucsd.py:layer=conv2 \
      --workdir workdirs/vae_ucsd --config.data.root=/path/to/UCSDped1
"""

from configs.vae_attention import common
from jaxvision import config_lib

LAYERS = ("conv1", "conv2", "conv3")


def get_config(arg=None):
  layer = config_lib.parse_arg(
      arg, layer=config_lib.one_of(*LAYERS, default="conv2")
  ).layer
  model = common.conv_vae(
      image_shape=(100, 100, 1),
      features=(64, 128, 256),
      fc=(1024,),
      latent_dim=32,
      decoder_fc=(1024,),
      start_shape=(12, 12, 256),
      decoder_features=(128, 64, 1),
      output_size=(100, 100),
  )
  data = dict(name="ucsd_ped1", root="~/data/UCSDped1", image_size=100)
  stage = dict(
      name="train", steps=10_600, batch_size=64, optim=common.adam(1e-3)
  )
  return common.base(
      model,
      data,
      stage,
      target_layer=layer,
      recon="mse",
      eval_cfg=common.anomaly_eval(),
  )
