r"""SharinGAN CPU smoke: procedural synthetic -> "real" street depth (spec 11).

The `procedural_street` pair (32x64 px, 40 m cap) runs the whole MDE
pipeline with tiny nets: Stage A (G as auto-encoder), Stage B (T on
synthetic depth), Stage C (D x k_critic -> G -> T with WGAN-GP, L_r,
multi-scale L1, smoothness and stereo warping on the real pairs), then
evaluation on the held-out real_test split (cap 40 m, min 1 m, no crop).

  python -m jaxvision.main train --config configs/sharingan/smoke.py \
      --workdir workdirs/sharingan_smoke
  python -m jaxvision.main train --config configs/sharingan/smoke.py:baseline \
      --workdir workdirs/sharingan_smoke_baseline

`:baseline` is the same task net trained for the same number of T updates
on synthetic data alone (no G, no D, no real data: the "all synthetic"
row of Table 2.1). Scaled down from spec 11 (150/400/300 steps, 512 images
per domain) to fit a 2-core CI budget. Expected: the adapted model's
procedural/abs_rel is clearly below the baseline's (see
docs/methods/sharingan.md for the numbers we got).
"""

from configs.sharingan import common
from jaxvision import config_lib


def get_config(arg=None):
  baseline = config_lib.parse_arg(arg, baseline=False).baseline
  model = common.depth_model(
      gen_ngf=8,
      gen_blocks=3,
      task_ngf=8,
      task_inception=1,
      critic_channels=(16, 32, 32, 64),
      critic_strides=(2, 2, 2, 2),
      critic_hidden=(64,),
      critic_norm="none",
  )
  loss = common.depth_loss()
  data = dict(
      name="procedural_street",
      height=32,
      width=64,
      max_depth=40.0,
      seed=0,
      sizes=dict(syn_train=256, real_train=256),
      use_syn=True,
      use_real=True,
  )
  evals = dict(
      procedural=dict(
          type="procedural",
          split="real_test",
          size=64,
          min_depth=1.0,
          max_depth=40.0,
          crop=None,
      )
  )
  stages = [
      common.stage(
          "pretrain_g", "autoencoder", 60, 8, common.optim(1e-3), evaluate=False
      ),
      common.stage(
          "pretrain_t",
          "task_pretrain",
          150,
          8,
          common.optim(1e-3),
          evaluate=False,
      ),
      common.stage("joint", "joint", 150, 8, common.optim(3e-4)),
  ]
  if baseline:
    model["use_generator"] = False
    loss.update(beta_ds=0.0, beta_gc=0.0)
    data["use_real"] = False
    stages = stages[1:]
  config = common.base(
      "depth", model, loss, common.adversarial(2, 1), data, stages, evals
  )
  config.eval_batch_size = 64
  config.log_every = 25
  config.checkpoint.every_steps = 0
  return config
