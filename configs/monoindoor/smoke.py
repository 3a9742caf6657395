r"""MonoIndoor++ smoke run on synthetic textured-room sequences (CPU).

Spec 12, scaled down to fit a 2-core CPU: 32x64 frames (H x W; both divisible
by 32), tiny ResNet encoders (widths 16-128, one block per stage, random
init), decoder [8, 16, 16, 32, 64], scale net d_qk 16 / 1 residual block /
FC [64, 32] / D_max 10, 8-channel CoordConv pose input, 1 residual pose
step, automask, tau 1e-3, gamma 0.035. Adam 1e-3 for 300 steps, then 1e-4
for 100 (spec: x0.1 at step 300), batch 4.

  python -m jaxvision.main train --config configs/monoindoor/smoke.py \
      --workdir workdirs/monoindoor_smoke

Spec pass criterion: held-out median-scaled abs_rel <= 0.75 x
baseline_constant_abs_rel. NOT reached yet: our 400-step run gave abs_rel
0.237 vs baseline 0.236 (docs/methods/monoindoor.md, "Measured").
"""

from configs.monoindoor import common


def get_config(arg=None):
  del arg
  model = common.model(d_max=10)
  model["encoder"].update(widths=[16, 16, 32, 64, 128], blocks=[1, 1, 1, 1],
                          pretrained="none")
  model["depth"]["decoder_channels"] = [8, 16, 16, 32, 64]
  model["scale"].update(qk_dim=16, v_dim=32, num_blocks=1, hidden=[64, 32])
  model["pose"]["decoder_width"] = 64
  stages = [dict(name="main", steps=400, batch_size=4,
                 optim=dict(common.adam(1e-3), decay="linear", end_lr=1e-4))]
  config = common.base(model, common.loss(0.035), common.synthetic_data(),
                       stages)
  config.eval_batch_size = 48
  config.log_every = 25
  config.checkpoint.every_steps = 200
  return config
