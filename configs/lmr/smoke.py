r"""LMR smoke run on CPU: the toy SMPL-format body in synthetic videos.

Spec 12: a 24-joint toy body (V=192, written with the real SMPL keys and
loaded back), 48-frame videos whose parts move at their own frequencies and
freeze at random, 128-d "features" from a fixed random MLP of the pose with
noise and occlusions. LMR with GRU hidden 64, shape MLP [128], camera GRU 32,
V=2 iterations on T=8 clips; batch 16, Adam 3e-3 (cosine), 300 steps
(the spec's 1e-3 x 600 steps scaled down for the CPU time budget).

  python -m jaxvision.main train --config configs/lmr/smoke.py \
      --workdir workdirs/lmr_smoke

Expected (2 CPU cores, about a minute): held-out MPJPE far below the
mean-pose baseline (`baseline_mpjpe`); see docs/methods/lmr.md for the
numbers of our run. Ablations: --config.model.lmr.root_conditioning=False,
--config.model.temporal=single_rnn, --config.data.seq_len=4,
--config.data.label_fraction=0.5 (3D/SMPL labels on half the clips).
"""

import os

from configs.lmr import common


def get_config(arg=None):
  del arg
  data_dir = os.environ.get("JAXVISION_DATA_DIR", "workdirs/data")
  model = dict(
      temporal="local",
      cam_model="text",
      lmr=common.lmr_model(
          hidden=64, shape_hidden=(128,), cam_hidden=32, num_iters=2
      ),
      single_rnn=common.single_rnn(hidden=64, fc_width=128),
  )
  model["lmr"]["shape_dropout"] = 0.1
  data = dict(
      kind="synthetic",
      seq_len=8,
      feature_dim=128,
      num_train=256,
      num_test=32,
      length=48,
      seed=0,
      train_stride=2,
      label_fraction=1.0,
      train_2d=(),
      ratio_2d=0.0,
  )
  assets = dict(
      kind="toy",
      dir=os.path.join(data_dir, "lmr_toy_body"),
      smpl="",
      mean_params="",
      eval_regressor="",
  )
  loss = dict(
      w_2d=1.0,
      w_3d=1.0,
      w_smpl=1.0,
      w_pose=1.0,
      w_shape=0.1,
      smpl_form="vibe_mse",
      joint_set="lsp14",
  )
  stages = [
      dict(
          name="main",
          steps=300,
          batch_size=16,
          optim=dict(name="adam", lr=3e-3, decay="cosine", warmup_steps=20),
      )
  ]
  eval_cfg = dict(
      tail="drop",
      accel_mode="per_sequence",
      pve_gt_model="neutral",
      batch_size=64,
  )
  config = common.base(model, data, assets, loss, stages, eval_cfg)
  config.log_every = 50
  config.checkpoint.every_steps = 150
  return config
