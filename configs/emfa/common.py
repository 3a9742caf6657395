"""Pieces shared by the EMA-Net configs (spec: shared/specs/emfa_soccer.md)."""

import ml_collections


def model(
    backbone: dict,
    motion: dict,
    head: dict,
    fusion: str = "ema",
    use_energy: bool = True,
) -> dict:
  """config.model; the ablation knobs of spec Table 2.9 live here."""
  return dict(
      backbone=dict(share=True, remat=False, init_path="", **backbone),
      motion=motion,
      fusion=fusion,
      use_energy=use_energy,
      ema=dict(axis="channel", scale="none"),
      naive=dict(layers=2, dropout=0.5),
      head=head,
  )


def preprocess(
    image_size: int, num_frames: int, mask_crop: str, crop_side: int = 0
) -> dict:
  """S3-S4 settings: keypoint fusion, registration, crops (spec defaults)."""
  return dict(
      keypoints=dict(
          sources=("krcnn", "openpose"), krcnn_thresh=0.3, openpose_thresh=0.1
      ),
      registration=dict(
          mode="translation",
          fallback=("hips", "shoulders", "knees"),
          on_missing="drop",
          pad=0.5,
      ),
      include_ball=True,
      image_size=image_size,
      num_frames=num_frames,
      mask_crop=mask_crop,
      crop_side=crop_side,
      energy_margin=0.1,
      box_margin=0.2,
  )


def base(
    model_cfg: dict,
    preprocess_cfg: dict,
    data: dict,
    stages: list,
    eval_batch_size: int,
) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(
      dict(
          method="emfa",
          seed=0,
          model=model_cfg,
          preprocess=preprocess_cfg,
          # `train` refuses an empty backbone.init_path (jaxvision/pretrained.py).
          allow_random_init=False,
          data=data,
          stages=stages,
          label_smoothing=0.0,
          eval_batch_size=eval_batch_size,
          log_every=50,
          checkpoint=dict(every_steps=0, keep=2, async_save=True),
          mesh=dict(data=-1),
          partition_rules=[],
      )
  )
