"""Held-out-fold accuracy (spec 7): one deterministic view per clip, no TTA."""

from typing import Any

import numpy as np

from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.data import pipeline
from jaxvision.data import pp
from jaxvision.evaluators import classification
from jaxvision.methods.violence import data
from jaxvision.methods.violence import model as model_lib


def predict_fn(config) -> Any:
  """(variables, frames) -> logits, in eval mode (running BN statistics)."""
  net = model_lib.build(config)
  return lambda variables, frames: net.apply(variables, frames, train=False)


def evaluate(ctx: method_lib.StageContext, state) -> dict[str, float]:
  """Accuracy, macro F1 and the majority-class rate on fold `eval.fold`."""
  config = ctx.config
  source = data.split(config, held_out=True)
  iterator = pipeline.make_eval_iterator(
      source,
      pp_fn=pp.build(data.pp_string(config, train=False)),
      batch_size=config.eval.batch_size,
  )
  run = inference.Replicated(state.variables("model")).jit(predict_fn(config))
  labels, preds = [], []
  for batch in iterator:
    keep = np.asarray(batch["mask"], bool)
    logits = run(batch["frames"])
    labels.append(batch["label"][keep])
    preds.append(np.argmax(logits, -1)[keep])
  labels, preds = np.concatenate(labels), np.concatenate(preds)
  report = classification.report(labels, preds, data.CLASS_NAMES)
  majority = max(np.mean(labels == c) for c in range(len(data.CLASS_NAMES)))
  return {
      "accuracy": report["accuracy"],
      "macro_f1": report["macro_f1"],
      "chance": float(majority),
      "num_examples": report["num_examples"],
  }
