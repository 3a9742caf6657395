r"""SharinGAN FNE: SfSNet synthetic faces -> CelebA, Table 2.3 (Photoface).

Paper recipe (spec 5.2): 128x128 faces in [0, 1]. G = RBDN (128 features),
T = SfSNet, D = 12-conv plain critic. a = (1, 10, 0.1); SfSNet weights
recon/normal/albedo 0.5, light 0.1. Real faces are supervised with
pseudo-labels of the Stage-B task net (kept fixed in the `teacher` role).
  Stage A  RBDN auto-encoder, 20k steps (preg_RBDN-19999); Adam 1e-4
           (proposed), batch 16.
  Stage B  SfSNet on synthetic faces, Adam 1e-4, batch 16 (proposed; the
           official code loads an external checkpoint); 20k steps (proposed).
  Stage C  120k iterations, lr 1e-4, k_critic 5, k_gen 3: each iteration
           reads 1 + 3 + 1 fresh batches of 16, so the stage batch is 80.
Evaluation: Photoface test list, MAE and Acc < 20/25/30 deg (mask >= 0.9), of
the joint stage's best step on the Photoface validation split (the last 15%
of the official train list, MAE, every 1000 iterations; `select_best`).

  python -m jaxvision.main train --config configs/sharingan/fne_sfs_celeba.py \
      --workdir gs://bucket/sharingan_fne --config.data.sfs_root=/data/sfsnet \
      --config.data.celeba_root=/data/celeba
  python -m jaxvision.main params --config configs/sharingan/fne_sfs_celeba.py

Target (`aot`): v3-8, 2 / 2 / 10 faces per core per stage (no hardware named).

Paper result (Table 2.3): MAE 24.0 deg, 47.88 / 61.53 / 72.1 % below 20/25/30.
"""

from configs.sharingan import common

PER_UPDATE_BATCH = 16
K_GEN = 3


def get_config(arg=None):
  del arg
  model = dict(
      gen=dict(name="rbdn", features=128),
      task_net=dict(name="sfsnet"),
      critic=dict(
          name="conv12_plain",
          channels=[32, 32, 64, 64, 128, 128, 256, 256, 512, 512, 512, 512],
          strides=[1, 2] * 6,
          hidden=[1024, 512],
          norm="none",
      ),
      use_generator=True,
      prelu_shared=True,
      bn_scale_init="ones",
  )
  loss = dict(
      alpha_adv=1.0,
      alpha_rec=10.0,
      alpha_task=0.1,
      sfs=dict(recon=0.5, normal=0.5, albedo=0.5, light=0.1),
  )
  data = dict(
      name="sfs_celeba",
      height=128,
      width=128,
      max_depth=1.0,
      sfs_root="~/data/sfsnet_synthetic",
      sfs_csv="~/data/sfsnet_synthetic/train.csv",
      celeba_root="~/data/celeba",
      real_labels="pseudo",
      use_syn=True,
      use_real=True,
  )
  evals = dict(
      photoface=dict(
          type="photoface",
          root="~/data/photoface",
          list_file="~/data/photoface/test.txt",
          mae_reduction="global",
      )
  )
  # Model selection (spec 5.2): MAE on the Photoface validation split, the
  # last 15% of the official train list (every 1000 joint iterations: the
  # text gives no cadence; the depth code's).
  val_evals = dict(
      photoface_val=dict(
          type="photoface",
          root="~/data/photoface",
          list_file="~/data/photoface/train.txt",
          val_fraction=0.15,
          mae_reduction="global",
      )
  )
  opt = common.optim(1e-4, teacher=True)
  stages = [
      common.stage("pretrain_g", "autoencoder", 20_000, PER_UPDATE_BATCH, opt),
      common.stage(
          "pretrain_t", "task_pretrain", 20_000, PER_UPDATE_BATCH, opt
      ),
      dict(
          common.stage(
              "joint", "joint", 120_000, (2 + K_GEN) * PER_UPDATE_BATCH, opt
          ),
          eval_every=1000,
      ),
  ]
  config = common.base(
      "face_normals",
      model,
      loss,
      common.adversarial(5, K_GEN),
      data,
      stages,
      evals,
  )
  config.seed = 1729
  config.val_evals = val_evals
  config.select_best = dict(
      metric="photoface_val/mae", mode="min", split="validation"
  )
  config.target = dict(
      topology="v3-8",
      source="default: the text names no hardware; one v3-8 host (8 cores): "
      "batches 16, 16 and 80 are 2, 2 and 10 faces per core",
  )
  return config
