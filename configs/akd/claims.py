r"""AKD claim proxy: a Lite-S student with vs without L_akd (Table 4.6).

The arms of `benchmarks/claims/akd.py` (claim `akd_distillation_helps`), on
the procedural 16x16 faces and recipe of `configs/akd/smoke.py`:

  teacher     : the smoke teacher StarGAN (G conv_dim 8, 2 residual blocks);
  lite        : Lite-S student (G conv_dim 4, 1 block: half the width and
                half the blocks, about 0.15x the teacher's G parameters, as
                Table 4.1's 1.23M / 8.43M), distilled from the teacher's
                last-block attention (lambda_akd 10);
  lite,noakd  : the same student, same steps, without L_akd.

The teacher trains twice the smoke schedule (800 iterations) and the student
an eighth of it (100), so that, as in the paper, the teacher is a converged
full-size model and the student is judged while it is still learning where
to edit, which is what attention guidance is for. (A first design, teacher
400 and student 200 iterations, had a teacher weaker than the student
without L_akd: docs/claims.md.) The benchmark sets `data.seeds`, `seed` and
`akd.teacher_ckpt`. By hand:

  python -m jaxvision.main train --config configs/akd/claims.py:teacher \
      --workdir workdirs/claims_akd_teacher
"""

from configs.akd import common
from configs.akd import smoke

TEACHER_STEPS = 800
STUDENT_STEPS = 100
TEACHER_MODEL = dict(
    G=dict(conv_dim=8, repeat_num=2),
    D=dict(conv_dim=16, repeat_num=3),
    init="flax_default",
)
LITE_MODEL = dict(
    G=dict(conv_dim=4, repeat_num=1),
    D=dict(conv_dim=16, repeat_num=3),
    init="flax_default",
)
ARGS = ("teacher", "lite", "lite,noakd")


def get_config(arg=None):
  arg = arg or "teacher"
  if arg not in ARGS:
    raise ValueError(
        f"configs/akd/claims.py takes one of {ARGS}, got " f"{arg!r}."
    )
  config = smoke.get_config("teacher")
  config.checkpoint.every_steps = 100_000
  config.checkpoint.async_save = False
  config.eval.num_png = 0
  if arg == "teacher":
    config.stages = [dict(config.stages[0], steps=TEACHER_STEPS)]
    return config
  distill = arg == "lite"
  attrs = list(config.data.attrs)
  config.model = LITE_MODEL
  config.akd = common.akd(distill, attrs, "", teacher_model=TEACHER_MODEL)
  stage = dict(config.stages[0])
  stage.update(
      name="lite" if distill else "lite_noakd",
      steps=STUDENT_STEPS,
      optim=common.optim(smoke.LR, distill, n_critic=1),
  )
  config.stages = [stage]
  return config
