"""EMA-Net evaluation: per-class P/R/F1, AP/AR/A-F1, confusion matrix PNG.

Metric definitions follow the seed (spec: Evaluation): AP, AR and A-F1 are
the macro means of per-class precision, recall and F1 (not ranking AP, not
the harmonic mean of AP and AR); a class never predicted has precision 0.
Cross-validation: scalar metrics are averaged over folds and the per-fold
test confusion matrices are summed (`aggregate_folds`).
"""

import json
import os
from typing import Sequence

import numpy as np

from jaxvision import visualize
from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.data import pipeline
from jaxvision.evaluators import classification
from jaxvision.methods.emfa import data
from jaxvision.methods.emfa import model as model_lib


def metrics_from_confusion(
    cm: np.ndarray, names: Sequence[str]
) -> dict[str, float]:
  """report() of the labels/predictions a confusion matrix counts."""
  labels, preds = np.nonzero(cm)
  counts = cm[labels, preds]
  out = classification.report(
      np.repeat(labels, counts), np.repeat(preds, counts), names
  )
  out.update(
      ap=out["macro_precision"], ar=out["macro_recall"], a_f1=out["macro_f1"]
  )
  return out


def predict_split(ctx: method_lib.StageContext, params, split: str):
  """(labels, predictions, probabilities) of every clip of `split`, in order.

  NOTE: with model.ema.axis='batch' predictions depend on the batch; the
  split is then fed in fixed order in batches of the training batch size.
  """
  config = ctx.config
  net = model_lib.EMANet(config.model, len(data.class_names(config)))
  batch_size = (
      ctx.stage.batch_size
      if config.model.ema.axis == "batch"
      else config.eval_batch_size
  )
  run = inference.Replicated(params).jit(
      lambda p, e, m, v: net.apply({"params": p}, e, m, v)
  )
  iterator = pipeline.make_eval_iterator(
      data.open_split(config, split),
      pp_fn=lambda x, rng: dict(x),
      batch_size=batch_size,
  )
  labels, logits = [], []
  for batch in iterator:
    keep = np.asarray(batch["mask"], bool)
    out = run(batch["energy"], batch["mask_seq"], batch["frame_valid"])
    labels.append(np.asarray(batch["label"])[keep])
    logits.append(out[keep])
  logits = np.concatenate(logits)
  exp = np.exp(logits - logits.max(-1, keepdims=True))
  return (
      np.concatenate(labels),
      logits.argmax(-1),
      exp / exp.sum(-1, keepdims=True),
  )


def write_confusion(
    path_prefix: str, cm: np.ndarray, names: Sequence[str], title: str
) -> str:
  """Confusion matrix as .json (counts) and .png; returns the PNG path."""
  os.makedirs(os.path.dirname(os.path.abspath(path_prefix)), exist_ok=True)
  with open(path_prefix + ".json", "w") as f:
    json.dump({"classes": list(names), "counts": cm.tolist()}, f)
  return visualize.table_png(
      path_prefix + ".png",
      cm,
      names,
      names,
      title=title,
      xlabel="predicted",
      ylabel="true",
      fmt="{:.0f}",
  )


def evaluate(ctx: method_lib.StageContext, state) -> dict[str, float]:
  """Held-out metrics of `config.data.eval_split`; writes the confusion PNG."""
  config = ctx.config
  params = {
      **state.params.get("model", {}),
      **state.frozen.get("backbone", {}),
      **state.params.get("backbone", {}),
  }
  names = data.class_names(config)
  labels, preds, _ = predict_split(ctx, params, config.data.eval_split)
  cm = classification.confusion_matrix(labels, preds, len(names))
  out = metrics_from_confusion(cm, names)
  majority = np.bincount(labels, minlength=len(names)).argmax()
  out["chance_accuracy"] = 1.0 / len(names)
  out["majority_a_f1"] = metrics_from_confusion(
      classification.confusion_matrix(
          labels, np.full_like(labels, majority), len(names)
      ),
      names,
  )["a_f1"]
  if ctx.workdir:
    step = ctx.last_step
    write_confusion(
        os.path.join(
            ctx.workdir, "eval", f"confusion_{config.data.eval_split}_{step}"
        ),
        cm,
        names,
        f"{config.data.get('task', 'synthetic')} "
        f"{config.data.eval_split} (step {step})",
    )
  return out


def aggregate_folds(
    workdirs: Sequence[str], split: str = "test", out_prefix: str | None = None
) -> dict[str, float]:
  """5-fold protocol: mean/std of AP, AR, A-F1 over folds; summed matrix.

  Reads the newest `eval/confusion_<split>_<step>.json` of every fold's
  workdir (written by `evaluate`).
  """
  matrices, names = [], None
  for workdir in workdirs:
    folder = os.path.join(workdir, "eval")
    files = sorted(
        (
            f
            for f in os.listdir(folder)
            if f.startswith(f"confusion_{split}_") and f.endswith(".json")
        ),
        key=lambda f: int(f.rsplit("_", 1)[1][:-5]),
    )
    if not files:
      raise FileNotFoundError(
          f"No confusion_{split}_*.json in {folder}; run "
          "`eval` for that fold first."
      )
    with open(os.path.join(folder, files[-1])) as f:
      saved = json.load(f)
    names = saved["classes"]
    matrices.append(np.asarray(saved["counts"], np.int64))
  per_fold = [metrics_from_confusion(cm, names) for cm in matrices]
  out = {}
  for key in ("ap", "ar", "a_f1", "accuracy"):
    out[key], out[f"{key}_std"] = classification.mean_std(
        [m[key] for m in per_fold]
    )
  summed = np.sum(matrices, axis=0)
  if out_prefix:
    write_confusion(
        out_prefix, summed, names, f"{split}, summed over {len(matrices)} folds"
    )
  out["num_examples"] = float(summed.sum())
  return out
