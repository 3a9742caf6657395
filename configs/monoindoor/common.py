"""Pieces shared by the MonoIndoor++ configs (knobs of spec section 10)."""

import ml_collections


def adam(lr: float) -> dict:
  """Adam(0.9, 0.999), constant LR (BN statistics are model state)."""
  return dict(name="adam", lr=lr, decay="constant", b1=0.9, b2=0.999)


def step_schedule(
    steps: int, lr: float, batch_size: int, drop_at: int
) -> list[dict]:
  """LR `lr` until `drop_at`, then lr/10 (spec 6), as two stages."""
  return [
      dict(
          name="lr_high", steps=drop_at, batch_size=batch_size, optim=adam(lr)
      ),
      dict(
          name="lr_low",
          steps=steps - drop_at,
          batch_size=batch_size,
          optim=adam(lr / 10),
      ),
  ]


def model(d_max: int = 10) -> dict:
  """Paper architecture (spec 3): ResNet-18 encoders, MonoIndoor++ modules."""
  return dict(
      encoder=dict(
          arch="resnet18",
          widths=None,
          blocks=None,
          pretrained="imagenet",
          npz="",
      ),
      depth=dict(
          decoder_channels=[16, 32, 64, 128, 256],
          scales=[0, 1, 2, 3],
          factorization=True,
          factorization_mode="multiply",
          min_depth=0.1,
          max_depth=float(d_max),
          rel_min=0.01,
          rel_max=1.0,
      ),
      scale=dict(
          backbone="shared_encoder",
          stop_grad_features=False,
          attention=True,
          rel_pos=True,
          scale_logits=True,
          qk_dim=64,
          v_dim=256,
          max_hw=[16, 32],
          num_blocks=2,
          hidden=[256, 128],
          dropout=0.5,
          probabilistic=True,
          d_max=d_max,
          min_scale=0.1,
      ),
      pose=dict(
          coordconv="input",
          coord_init="imagenet_cyclic",
          decoder_width=256,
          output_scale=0.01,
      ),
      residual_pose=dict(
          enabled=True, num_steps=1, final_warp="composed", detach_input=False
      ),
  )


def loss(consistency_weight: float = 0.035) -> dict:
  return dict(
      reprojection_reduce="min",
      automask=True,
      ssim_alpha=0.85,
      smooth_weight=1e-3,
      depth_consistency_weight=consistency_weight,
      depth_consistency_form="text",
  )


def synthetic_data(height: int = 32, width: int = 64) -> dict:
  return dict(
      kind="synthetic_room",
      image_size=[height, width],
      flip=True,
      jitter=True,
      synthetic=dict(
          train_seed=0,
          test_seed=10_000,
          train_sequences=16,
          test_sequences=4,
          frames=24,
          height=height,
          width=width,
          focal=40.0,
          motion=dict(
              step=0.06,
              step_noise=0.01,
              rot_noise_deg=2.0,
              spin_prob=0.3,
              spin_deg=5.0,
              forward=False,
              yaw_rate_deg=0.0,
              random_yaw_sign=True,
          ),
      ),
  )


def base(
    model_cfg: dict,
    loss_cfg: dict,
    data: dict,
    stages: list[dict],
    max_depth: float = 10.0,
    crop: str = "",
) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(
      dict(
          method="monoindoor",
          seed=0,
          model=model_cfg,
          loss=loss_cfg,
          data=data,
          stages=stages,
          eval=dict(min_depth=1e-3, max_depth=max_depth, crop=crop),
          eval_batch_size=32,
          log_every=50,
          checkpoint=dict(every_steps=1000, keep=3, async_save=True),
          mesh=dict(data=-1, fsdp=1, tensor=1),
          partition_rules=[],
      )
  )
