r"""AKD-GAN on CelebA 128x128 (dissertation ch. 4; StarGAN recipe defaults).

  arg: "teacher" | "student" | "lite" (Lite-S student: conv_dim 32, 3 blocks)
       | "pseudo" (Table 4.9 pairs, Lite-S) ; optionally ",set=A|B|lite|bias".

Teacher first (a StarGAN; akd disabled), export it, then the student:

  python -m jaxvision.main train --config configs/akd/celeba.py:teacher \
      --workdir runs/akd_T --config.data.root=/data/celeba
  python -m jaxvision.main predict --config configs/akd/celeba.py:teacher \
      --workdir runs/akd_T --export_teacher runs/akd_T/teacher.npz
  python -m jaxvision.main train --config configs/akd/celeba.py:student \
      --workdir runs/akd_S --config.data.root=/data/celeba \
      --config.akd.teacher_ckpt=runs/akd_T/teacher.npz \
      --config.eval.classifier_ckpt=runs/celeba_attr_clf.npz
  python -m jaxvision.main params --config configs/akd/celeba.py:lite
  #   params_gen=1231840 (Table 4.1: 1.2 M); :student gives 8430528 (8.4 M)

Expected (Table 4.2, model A): translation accuracy Blond 86.02, Goatee
74.45, Eyeglasses 99.48, Heavy Makeup 91.47, Pale Skin 88.32 (%). Not run
here (no CelebA on this machine).
"""

from configs.akd import common

ATTRIBUTE_SETS = {
    # Tables 4.2 / 4.3 / 4.12 (model A) and model B.
    "A": ["Blond_Hair", "Goatee", "Eyeglasses", "Heavy_Makeup", "Pale_Skin"],
    "B": ["Brown_Hair", "Bushy_Eyebrows", "Wearing_Hat", "Wearing_Lipstick",
          "Pointy_Nose"],
    # Table 4.6 (T -> Lite-S).
    "lite": ["Blond_Hair", "Mustache", "Goatee", "Eyeglasses", "Rosy_Cheeks",
             "Pale_Skin", "Heavy_Makeup"],
    # Table 4.4 (bias study); Male is not in the conditioning vector.
    "bias": ["Bald", "Wearing_Lipstick", "Black_Hair", "Blond_Hair",
             "Brown_Hair"],
}
# Table 4.9: teacher attribute -> Lite-S student attribute, paired in order.
PSEUDO_TEACHER = ["Black_Hair", "Blond_Hair", "Wearing_Hat", "Wavy_Hair"]
PSEUDO_STUDENT = ["Brown_Hair", "Gray_Hair", "Bald", "Straight_Hair"]

NUM_ITERS = 200_000
N_CRITIC = 5


def _parse(arg):
  parts = (arg or "teacher").split(",")
  kind, options = parts[0], dict(p.split("=", 1) for p in parts[1:])
  if kind not in ("teacher", "student", "lite", "pseudo"):
    raise ValueError(f"configs/akd/celeba.py: unknown kind {kind!r}; use "
                     "teacher, student, lite or pseudo.")
  return kind, options.get("set", "lite" if kind == "lite" else "A")


def get_config(arg=None):
  kind, attr_set = _parse(arg)
  full = dict(G=dict(conv_dim=64, repeat_num=6),
              D=dict(conv_dim=64, repeat_num=6), init="torch_default")
  lite = dict(G=dict(conv_dim=32, repeat_num=3),
              D=dict(conv_dim=64, repeat_num=6), init="torch_default")
  if kind == "pseudo":
    attrs = PSEUDO_STUDENT
  else:
    attrs = ATTRIBUTE_SETS[attr_set]
  model = lite if kind in ("lite", "pseudo") else full
  enabled = kind != "teacher"
  overrides = {}
  if kind == "pseudo":
    overrides = dict(mode="pseudo", teacher_attrs=PSEUDO_TEACHER,
                     pair_map=dict(zip(PSEUDO_STUDENT, PSEUDO_TEACHER)))
  akd = common.akd(enabled, attrs, "runs/akd_T/teacher.npz" if enabled else "",
                   teacher_model=full, **overrides)
  data = dict(name="celeba_folder", root="~/data/celeba", data_dir="",
              partition="stargan", splits=dict(train="train", test="test"),
              attrs=attrs, label_type="multi", image_size=128,
              pp_train=common.CELEBA_PP_TRAIN.replace("decode|", ""),
              pp_eval=common.CELEBA_PP_EVAL.replace("decode|", ""))
  # StarGAN: lr constant for the first half, then linear to 0 (two stages;
  # NOTE: each stage starts fresh Adam moments, see docs/methods/akd.md).
  half = NUM_ITERS // 2
  stages = [dict(name="constant_lr", steps=half, batch_size=16,
                 optim=common.optim(1e-4, enabled, "constant", N_CRITIC)),
            dict(name="decay_lr", steps=half, batch_size=16,
                 optim=common.optim(1e-4, enabled, "linear", N_CRITIC))]
  config = common.base(model, data, akd, stages,
                       common.evals(batch_size=64), N_CRITIC)
  config.log_every = 100
  config.checkpoint.every_steps = 10_000
  return config
