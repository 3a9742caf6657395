r"""One-class MNIST (spec 3.1 / 5): the REF-CODE conv VAE, one digit normal.

Encoder Conv(64, k4 s2 p1) -> Conv(128) -> FC 1024 -> (mu, logvar), D = 32;
decoder FC 1024 -> FC 6272 -> 128x7x7 -> ConvT(64) -> ConvT(1) -> sigmoid;
summed BCE + KL; Adam 1e-3, batch 128, 100 epochs of the ~6,000 images of
one digit (4,700 steps). MNIST has no pixel masks, so the chapter shows its
attention maps qualitatively (predict); `eval` reports the image-level
AUROC of the maps (max over pixels; other digits = anomalous) on the test
split.

Arg: digit=N (0-9, default 1), the digit that is normal.

  python -m jaxvision.main train --config configs/vae_attention/mnist.py:digit=1 \
      --workdir workdirs/vae_mnist1 --config.data.root=/path/to/mnist
  python -m jaxvision.main predict --config configs/vae_attention/mnist.py:digit=1 \
      --workdir workdirs/vae_mnist1 --image seven.png --out maps/
"""

from configs.vae_attention import common
from jaxvision import config_lib


def get_config(arg=None):
  digit = config_lib.parse_arg(arg, digit=1).digit
  model = common.conv_vae(
      image_shape=(28, 28, 1),
      features=(64, 128),
      fc=(1024,),
      latent_dim=32,
      decoder_fc=(1024,),
      start_shape=(7, 7, 128),
      decoder_features=(64, 1),
  )
  data = dict(name="mnist", root="~/data/mnist", digit=digit, image_size=28)
  stage = dict(
      name="train", steps=4700, batch_size=128, optim=common.adam(1e-3)
  )
  config = common.base(
      model,
      data,
      stage,
      target_layer="conv2",
      recon="bce",
      eval_cfg=common.anomaly_eval(),
  )
  return config
