"""Pieces shared by the LMR configs (spec 3, 4, 6, 8, 10)."""

import ml_collections


def lmr_model(
    hidden: int, shape_hidden: tuple[int, ...], cam_hidden: int, num_iters: int
) -> dict:
  """`model.lmr`: the local recurrent regressor's knobs (spec 10)."""
  return dict(
      parts="smpl6",
      rot_repr="6d",
      rnn_cell="gru",
      hidden=hidden,
      num_layers=1,
      bidirectional=False,
      num_iters=num_iters,
      root_conditioning=True,
      shape_hidden=shape_hidden,
      shape_dropout=0.5,
      shape_input="previous",
      cam_input="previous",
      camera_module="rnn",
      cam_hidden=cam_hidden,
      supervise_all_iters=False,
  )


def single_rnn(hidden: int, fc_width: int) -> dict:
  """`model.single_rnn`: the VIBE-style baseline (spec 3.8)."""
  return dict(
      hidden=hidden, num_layers=2, fc_width=fc_width, dropout=0.5, num_iters=3
  )


def base(
    model: dict,
    data: dict,
    assets: dict,
    loss: dict,
    stages: list,
    eval_cfg: dict,
) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(
      dict(
          method="lmr",
          seed=0,
          model=model,
          data=data,
          assets=assets,
          loss=loss,
          stages=stages,
          eval=eval_cfg,
          log_every=100,
          checkpoint=dict(every_steps=500, keep=3, async_save=True),
          mesh=dict(data=-1, fsdp=1, tensor=1),
          partition_rules=[],
      )
  )
