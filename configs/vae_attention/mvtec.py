r"""MVTec-AD anomaly localisation, one model per category (Tables 7.2-7.4).

ResNet-18 encoder [TEXT] (random init [DEFAULT]) -> GAP -> FC heads, D = 32
[TEXT]; decoder FC -> 512x8x8 -> 5 x (nearest x2 + Conv3x3 + BN + ReLU,
widths 256/128/64/32/32) -> Conv3x3 -> 3 [DEFAULT]; 256x256 RGB [DEFAULT];
random mirroring + rotation [TEXT] (flips p=0.5, +-10 deg [DEFAULT]); MSE +
KL; Adam 1e-4, batch 32, 200 epochs [DEFAULT]. Attention at layer4 (8x8, the
layer before the FC units). Paper pixel AUROC (SA / DA) e.g. carpet
0.78 / 0.80, bottle 0.87 / 0.89, hazelnut 0.98 / 0.98.

Arg: category=NAME, an MVTec-AD category (default bottle; the keys of
TRAIN_IMAGES).

  python -m jaxvision.main train --config configs/vae_attention/mvtec.py:category=bottle \
      --workdir workdirs/vae_mvtec_bottle --config.data.root=/path/to/mvtec_ad
"""

from configs.vae_attention import common
from jaxvision import config_lib

# Training images per category (official split), for 200 epochs of steps.
TRAIN_IMAGES = dict(
    carpet=280,
    grid=264,
    leather=245,
    tile=230,
    wood=247,
    bottle=209,
    cable=224,
    capsule=219,
    hazelnut=391,
    metal_nut=220,
    pill=267,
    screw=320,
    toothbrush=60,
    transistor=213,
    zipper=240,
)


def get_config(arg=None):
  category = config_lib.parse_arg(
      arg, category=config_lib.one_of(*TRAIN_IMAGES, default="bottle")
  ).category
  batch = 32
  model = dict(
      family="vae",
      latent_dim=32,
      image_shape=[256, 256, 3],
      encoder=dict(kind="resnet18"),
      decoder=dict(
          kind="upsample",
          start_shape=[8, 8, 512],
          features=[256, 128, 64, 32, 32],
          channels=3,
      ),
      disc=dict(hidden=1000, layers=6),
  )
  data = dict(
      name="mvtec",
      root="~/data/mvtec_ad",
      category=category,
      image_size=256,
      augment=dict(flip_p=0.5, rotate_degrees=10.0),
  )
  stage = dict(
      name="train",
      steps=200 * -(-TRAIN_IMAGES[category] // batch),
      batch_size=batch,
      optim=common.adam(1e-4),
  )
  return common.base(
      model,
      data,
      stage,
      target_layer="layer4",
      recon="mse",
      eval_cfg=common.anomaly_eval(batch_size=32),
  )


def sweep():
  return [{"data.category": c} for c in sorted(TRAIN_IMAGES)]
