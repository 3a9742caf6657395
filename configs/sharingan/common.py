"""Pieces shared by the SharinGAN configs (spec sections 3-5, 9)."""

import ml_collections

ROLES = ("gen", "task", "critic")


def adam(lr: float, b1: float = 0.9, b2: float = 0.999) -> dict:
  """PyTorch Adam == optax adam(lr, b1, b2, eps=1e-8), constant (spec 5.3)."""
  return dict(name="adam", lr=lr, b1=b1, b2=b2, eps=1e-8, decay="constant")


def optim(
    lr: float, b1: float = 0.9, b2: float = 0.999, teacher: bool = False
) -> dict:
  """One Adam per role. A stage only steps the roles its phase trains.

  The face task's `teacher` (fixed pseudo-labeller) has an SGD optimizer
  with lr 0 only so that the engine checkpoints it; it never gets gradients.
  """
  out = {role: adam(lr, b1, b2) for role in ROLES}
  if teacher:
    out["teacher"] = dict(name="sgd", lr=0.0, decay="constant")
  return out


def stage(
    name: str,
    phase: str,
    steps: int,
    batch_size: int,
    optimizer: dict,
    evaluate: bool = True,
) -> dict:
  """A stage; `phase` is autoencoder | task_pretrain | joint (Stage A/B/C)."""
  return dict(
      name=name,
      phase=phase,
      steps=steps,
      batch_size=batch_size,
      optim=optimizer,
      evaluate=evaluate,
  )


def depth_model(
    gen_ngf: int = 64,
    gen_blocks: int = 9,
    task_ngf: int = 64,
    task_inception: int = 3,
    critic_channels=(
        32,
        32,
        64,
        64,
        128,
        128,
        256,
        256,
        512,
        512,
        512,
        512,
        512,
        512,
    ),
    critic_strides=(1, 2) * 7,
    critic_hidden=(1024, 512),
    critic_norm: str = "batch",
) -> dict:
  """G = T2Net ResNet generator, T = GASDA UNet, D = conv14 (spec 3.1-3.3)."""
  return dict(
      gen=dict(name="resnet9_t2net", ngf=gen_ngf, n_blocks=gen_blocks),
      task_net=dict(
          name="unet_gasda",
          ngf=task_ngf,
          n_inception=task_inception,
          inception_width=3,
          skip_weight=0.1,
      ),
      critic=dict(
          name="conv14_bn",
          channels=list(critic_channels),
          strides=list(critic_strides),
          hidden=list(critic_hidden),
          norm=critic_norm,
      ),
      use_generator=True,
      prelu_shared=True,
      bn_scale_init="uniform_quirk",
  )


def depth_loss() -> dict:
  """Eq 2.8/2.10 weights (TEXT): a = (1, 10, 1), b = (0.01, 100, 100)."""
  return dict(
      alpha_adv=1.0,
      alpha_rec=10.0,
      alpha_task=1.0,
      beta_ds=0.01,
      beta_l1=100.0,
      beta_gc=100.0,
      ssim_eta=0.85,
      l1_mu=0.15,
      smooth_scale_weighting="coarse_first",
  )


def adversarial(k_critic: int = 5, k_gen: int = 1) -> dict:
  return dict(gp_lambda=10.0, k_critic=k_critic, k_gen=k_gen)


def base(
    task: str,
    model: dict,
    loss: dict,
    adv: dict,
    data: dict,
    stages: list[dict],
    evals: dict,
) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(
      dict(
          method="sharingan",
          task=task,
          seed=0,
          model=model,
          loss=loss,
          adv=adv,
          data=data,
          stages=stages,
          evals=evals,
          eval_batch_size=16,
          log_every=100,
          checkpoint=dict(every_steps=1000, keep=3, async_save=True),
          mesh=dict(data=-1),
          partition_rules=[],
      )
  )
