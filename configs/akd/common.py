"""Pieces shared by the AKD-GAN configs (StarGAN defaults of the spec)."""

import ml_collections

CELEBA_PP_TRAIN = (
    "decode|central_crop(178)|resize({image_size})|flip_lr|"
    "value_range(-1, 1)|keep('image', 'attributes')"
)
CELEBA_PP_EVAL = (
    "decode|central_crop(178)|resize({image_size})|"
    "value_range(-1, 1)|keep('image', 'attributes')"
)


def adam(lr: float, decay: str = "constant", end_lr: float = 0.0) -> dict:
  """StarGAN's Adam (beta1 0.5, beta2 0.999, PyTorch's eps 1e-8)."""
  return dict(
      name="adam", lr=lr, b1=0.5, b2=0.999, eps=1e-8, decay=decay, end_lr=end_lr
  )


def optim(
    lr: float, akd_enabled: bool, decay: str = "constant", n_critic: int = 5
) -> dict:
  """Per-role optimizers; the teacher roles are frozen.

  NOTE: each role's schedule runs over the stage's steps but is indexed by
  that role's own update count, and G is updated once per n_critic steps.
  For a linear decay to zero, G's end_lr is extrapolated to lr * (1 -
  n_critic) so that G's lr reaches 0 exactly at its last update.
  """
  roles = dict(
      disc=adam(lr, decay),
      gen=adam(lr, decay, lr * (1 - n_critic) if decay == "linear" else 0.0),
  )
  if akd_enabled:
    roles.update(
        teacher_gen=dict(name="frozen"), teacher_disc=dict(name="frozen")
    )
  return roles


def akd(
    enabled: bool,
    attrs: list[str],
    teacher_ckpt: str = "",
    teacher_model: dict | None = None,
    **overrides,
) -> dict:
  """The `akd` block: spec defaults (lambda 10, Frobenius, all classes, last
  block, full second-order gradients, raw maps)."""
  cfg = dict(
      enabled=enabled,
      teacher_ckpt=teacher_ckpt,
      teacher_model=teacher_model,
      teacher_attrs=list(attrs),
      mode="same",
      pair_map={},
      lambda_akd=10.0,
      teacher_block=-1,
      student_block=-1,
      classes="all",
      norm="fro",
      normalize="none",
      detach_alpha=False,
      score="logit",
  )
  cfg.update(overrides)
  return cfg


def base(
    model: dict,
    data: dict,
    akd_cfg: dict,
    stages: list[dict],
    evals: dict,
    n_critic: int,
) -> ml_collections.ConfigDict:
  if akd_cfg["teacher_model"] is None:
    akd_cfg["teacher_model"] = model
  return ml_collections.ConfigDict(
      dict(
          method="akd",
          seed=0,
          model=model,
          data=data,
          akd=akd_cfg,
          loss=dict(
              lambda_cls=1.0, lambda_rec=10.0, lambda_gp=10.0, n_critic=n_critic
          ),
          stages=stages,
          eval=evals,
          log_every=100,
          checkpoint=dict(every_steps=10_000, keep=3, async_save=True),
          mesh=dict(data=-1),
          partition_rules=[],
      )
  )


def evals(**overrides) -> dict:
  """The evaluation block; `classifier_arch` is the architecture the
  loaded `classifier_ckpt` must have (the text: ResNet-50)."""
  cfg = dict(
      classifier_ckpt="",
      classifier_arch="resnet50",
      classifier_steps=0,
      protocol="flip",
      batch_size=64,
      num_images=0,
      num_png=8,
      fid=dict(inception_ckpt=""),
  )
  cfg.update(overrides)
  return cfg
