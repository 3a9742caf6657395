"""Pieces shared by the violence-detection configs (spec 5 and 9)."""

import math

import ml_collections


def adam(lr: float) -> dict:
  """A.5: Adam, betas (0.5, 0.99), constant lr (no schedule is mentioned).

  NOTE: the weight decay is coupled L2 in `loss.l2`, not here (see
  jaxvision/methods/violence/method.py).
  """
  return dict(
      name="adam",
      lr=lr,
      b1=0.5,
      b2=0.99,
      eps=1e-8,
      decay="constant",
      warmup_steps=0,
      weight_decay=0.0,
      freeze=None,
  )


def steps_per_epoch(num_clips: int, num_folds: int, batch_size: int) -> int:
  """Whole batches in the training folds (the largest fold held out)."""
  return (num_clips - math.ceil(num_clips / num_folds)) // batch_size


def base(
    *,
    data: dict,
    model: dict,
    l2: float,
    lr: float,
    batch_size: int,
    num_epochs: int,
    eval_cfg: dict,
    allow_random_init: bool = False,
) -> ml_collections.ConfigDict:
  """A full config; `data.num_clips` sizes the stage (num_epochs epochs)."""
  model_defaults = dict(
      encoder="spatiotemporal",
      temporal="",
      backbone="vgg13",
      backbone_cfg=dict(pretrained_path=""),
      aggregation="max",
      convlstm=dict(
          num_layers=1,
          hidden=256,
          features=512,
          kernel=3,
          fuse_kernel=3,
          fuse_act=None,
          share_direction_weights=False,
          unroll=1,
      ),
      classifier=dict(
          hidden=(1000, 256, 10), tanh_on_logits=False, pre_pool="none"
      ),
      use_batchnorm=False,
      remat=False,
  )
  data_defaults = dict(
      name="",
      root="",
      num_clips=0,
      num_frames=20,
      frame_size=224,
      input_mode="",
      diff_sign="prev_minus_next",
      aug=dict(random_crop=True, hflip=True, resize_before_crop=256),
      synthetic_size=32,
      synthetic_seed=0,
      worker_count=0,
  )
  eval_defaults = dict(
      fold=0,
      num_folds=5,
      fold_seed=0,
      window_radius=10,
      std_ddof=0,
      batch_size=8,
  )
  eval_cfg = _merge(eval_defaults, eval_cfg)
  epoch = steps_per_epoch(data["num_clips"], eval_cfg["num_folds"], batch_size)
  config = ml_collections.ConfigDict(
      dict(
          method="violence",
          seed=0,
          # `train` refuses an empty pretrained_path (jaxvision/pretrained.py).
          allow_random_init=allow_random_init,
          model=_merge(model_defaults, model),
          data=_merge(data_defaults, data),
          loss=dict(l2=l2),
          eval=eval_cfg,
          train=dict(num_epochs=num_epochs),
          stages=[
              dict(
                  name="train",
                  steps=num_epochs * epoch,
                  batch_size=batch_size,
                  optim=adam(lr),
              )
          ],
          log_every=epoch,
          checkpoint=dict(every_steps=0, keep=2, async_save=True),
          mesh=dict(data=-1),
          partition_rules=[],
      )
  )
  return config


def _merge(defaults: dict, overrides: dict) -> dict:
  out = dict(defaults)
  for key, value in overrides.items():
    if key not in defaults:
      raise KeyError(f"unknown key {key!r}; known: {sorted(defaults)}")
    out[key] = (
        _merge(defaults[key], value)
        if isinstance(value, dict) and isinstance(defaults[key], dict)
        else value
    )
  return out
