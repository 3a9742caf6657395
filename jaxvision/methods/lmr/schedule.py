"""VIBE's learning-rate schedule: ReduceLROnPlateau on validation PA-MPJPE.

VIBE (whose settings seed 002 ch. 6 says it uses exactly) multiplies Adam's
learning rate by `factor` (0.1) once the validation PA-MPJPE has not
improved for more than `patience` (5) epochs of 500 iterations, as PyTorch's
`ReduceLROnPlateau(mode="min", threshold=1e-4, threshold_mode="rel",
cooldown=0)`. The paper config runs each epoch as one engine stage, which
the engine evaluates on `data.eval_split` when it ends and logs to
`<workdir>/metrics.jsonl`; the next epoch's train step reads that history
and scales its updates by the factor the scheduler would have reached.
Adam's step is linear in the learning rate, so scaling the update is
scaling the rate.
"""

import json
import os

THRESHOLD = 1e-4


def plateau_factor(history: list[float], factor: float, patience: int) -> float:
  """The LR multiplier after the epoch-end metrics `history` (lower is
  better), as PyTorch's ReduceLROnPlateau in min mode."""
  scale, best, bad = 1.0, float("inf"), 0
  for value in history:
    if value < best * (1 - THRESHOLD):
      best, bad = value, 0
    else:
      bad += 1
    if bad > patience:
      scale, bad = scale * factor, 0
  return scale


def eval_history(workdir: str, metric: str, before_step: int) -> list[float]:
  """`eval/<metric>` of the evaluations logged at steps <= `before_step`, in
  step order (the last row wins where a step was logged twice)."""
  path = os.path.join(workdir, "metrics.jsonl")
  if not workdir or not os.path.exists(path):
    return []
  by_step = {}
  with open(path) as f:
    for line in f:
      row = json.loads(line)
      if f"eval/{metric}" in row and row["step"] <= before_step:
        by_step[row["step"]] = row[f"eval/{metric}"]
  return [by_step[s] for s in sorted(by_step)]


def lr_scale(config, ctx) -> float:
  """The update scale of stage `ctx` under `config.lr_plateau` (1 without)."""
  cfg = config.get("lr_plateau", None)
  if not cfg:
    return 1.0
  history = eval_history(ctx.workdir, cfg.metric, ctx.first_step)
  return plateau_factor(history, cfg.factor, cfg.patience)
