"""Pieces shared by the RECLIP configs."""

import ml_collections


def adafactor(lr: float, warmup: int) -> dict:
  """Spec 5.2: Adafactor, decoupled lr-scaled weight decay 0.01, clip 1.0."""
  return dict(
      name="adafactor",
      lr=lr,
      warmup_steps=warmup,
      decay="linear",
      end_lr=0.0,
      weight_decay=0.01,
      wd_mode="lr_scaled",
      grad_clip_norm=1.0,
      momentum=0.9,
      decay_rate=0.8,
      clipping_threshold=1.0,
  )


def stage(
    name: str,
    image_size: int,
    text_len: int,
    steps: int,
    batch_size: int,
    optim: dict,
    mask_keep_tokens: int = 0,
    remat: bool | str = "",
) -> dict:
  """One phase; `remat` ("" = the model's `model.remat`) is per stage since
  only the high-resolution phases need it to fit (docs/tpu.md)."""
  return dict(
      name=name,
      image_size=image_size,
      text_len=text_len,
      steps=steps,
      batch_size=batch_size,
      optim=optim,
      mask_keep_tokens=mask_keep_tokens,
      remat=remat,
  )


def base(
    model: dict, stages: list[dict], data: dict, evals: dict, text: dict
) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(
      dict(
          method="reclip",
          seed=0,
          model=model,
          stages=stages,
          data=data,
          evals=evals,
          text=text,
          eval_batch_size=256,
          log_every=100,
          checkpoint=dict(every_steps=1000, keep=3, async_save=True),
          mesh=dict(data=-1, fsdp=1, tensor=1),
          partition_rules=[],
      )
  )
