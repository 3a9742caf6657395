r"""k-fold cross-validation with the dissertation's reporting (app. A.6.3).

  python -m jaxvision.methods.violence.crossval \
      --config configs/violence/smoke.py --workdir DIR [--config.key=value ...]

Fold k (held out: `eval.fold=k`, trained on the others) runs in DIR/fold_k
as one ordinary engine run of `train.num_epochs` epochs. Protocol A needs the
test accuracy after *every* epoch: the stage evaluates the held-out fold
every epoch (`eval_every`) and checkpoints there, and the runner reads the
curve from the run's metrics. A killed runner resumes the fold from its last
epoch checkpoint; the curve also goes to DIR/fold_k/accuracy.json, and
finished folds are skipped. DIR/folds.json records video_id -> fold.

Printed at the end (`name=value`), also written to DIR/report.json:
  fold_k/accuracy_last, fold_k/accuracy_max     per fold
  windowed_peak_mean / _std / _epoch / _num      protocol A (1-based epoch)
  per_fold_max_mean / _std                       protocol B (the '*' rows)
  last_epoch_mean / _std                         no epoch selection
NOTE: protocols A and B choose epochs on the test folds (there is no
validation split in the dissertation); last_epoch is the unselected number.
"""

import argparse
import json
import os
import sys
from typing import Callable, Sequence

import jax
import ml_collections
import numpy as np

from jaxvision import config_lib
from jaxvision import methods
from jaxvision import pretrained
from jaxvision import user_errors
from jaxvision import workdir as workdir_lib
from jaxvision.core import train
from jaxvision.methods.violence import data
from jaxvision.methods.violence import protocol


def _check(config: ml_collections.ConfigDict) -> None:
  if len(config.stages) != 1:
    raise ValueError(
        "crossval expects a single-stage config, got "
        f"{len(config.stages)} stages."
    )


def _read_json(path: str, default):
  if not os.path.exists(path):
    return default
  with open(path) as f:
    return json.load(f)


def _write_json(path: str, value) -> None:
  tmp = f"{path}.tmp"
  with open(tmp, "w") as f:
    json.dump(value, f, indent=1, sort_keys=True)
  os.replace(tmp, path)


def run_fold(
    config: ml_collections.ConfigDict,
    fold: int,
    workdir: str,
    log: Callable[[str], None] = print,
) -> list[float]:
  """Test accuracy after each epoch of fold `fold` (resumes, skips if done)."""
  fold_config = config.copy_and_resolve_references()
  fold_config.eval.fold = fold
  fold_dir = os.path.join(workdir, f"fold_{fold}")
  os.makedirs(fold_dir, exist_ok=True)
  curve_path = os.path.join(fold_dir, "accuracy.json")
  epochs = config.train.num_epochs
  if len(_read_json(curve_path, [])) >= epochs:
    return _read_json(curve_path, [])[:epochs]
  steps = data.steps_per_epoch(fold_config, config.stages[0].batch_size)
  stage = fold_config.stages[0]
  stage.steps, stage.eval_every = epochs * steps, steps
  fold_config.checkpoint.every_steps = steps
  train.train(fold_config, fold_dir, methods.get(config.method))
  accuracy = _logged(os.path.join(fold_dir, "metrics.jsonl"), "eval/accuracy")
  curve = [accuracy.get(epoch * steps) for epoch in range(1, epochs + 1)]
  if None in curve:
    raise ValueError(
        f"{fold_dir}'s metrics have no held-out accuracy for epoch "
        f"{curve.index(None) + 1}; delete the fold directory to rerun it."
    )
  _write_json(curve_path, curve)
  for epoch, value in enumerate(curve, 1):
    log(f"fold={fold} epoch={epoch} accuracy={value:.4f}")
  return curve


def _logged(path: str, key: str) -> dict[int, float]:
  """{step: value} of a metric in a run's metrics.jsonl (last write wins: a
  resumed run re-evaluates the steps after its checkpoint identically)."""
  with open(path) as f:
    rows = [json.loads(line) for line in f if line.strip()]
  return {r["step"]: float(r[key]) for r in rows if key in r}


def run(
    config: ml_collections.ConfigDict,
    workdir: str,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
  """Runs every fold in workdir/fold_k and returns the report.

  Like `train`, refuses random VGG13 weights in a paper config
  (`jaxvision.pretrained`) and holds the workdir's lock while it runs.
  """
  _check(config)
  pretrained.check(config, "crossval")
  with workdir_lib.locked(workdir, is_main_process=jax.process_index() == 0):
    if jax.process_index() == 0:
      _write_json(os.path.join(workdir, "folds.json"), data.folds(config))
    curves = [
        run_fold(config, fold, workdir, log)
        for fold in range(config.eval.num_folds)
    ]
  acc = np.asarray(curves)
  report = {}
  for fold, curve in enumerate(acc):
    report[f"fold_{fold}/accuracy_last"] = float(curve[-1])
    report[f"fold_{fold}/accuracy_max"] = float(curve.max())
  window = protocol.windowed_peak_accuracy(
      acc, config.eval.window_radius, config.eval.std_ddof
  )
  report.update(
      {
          "windowed_peak_mean": window["mean"],
          "windowed_peak_std": window["std"],
          "windowed_peak_epoch": window["peak_epoch"] + 1,
          "windowed_peak_num": window["num_values"],
      }
  )
  for name, values in (
      ("per_fold_max", protocol.per_fold_max(acc)),
      ("last_epoch", protocol.last_epoch(acc)),
  ):
    report[f"{name}_mean"] = values["mean"]
    report[f"{name}_std"] = values["std"]
  if jax.process_index() == 0:
    _write_json(os.path.join(workdir, "report.json"), report)
  return report


def _split_overrides(rest: Sequence[str]) -> list[str]:
  overrides = []
  for arg in rest:
    if not arg.startswith("--config.") or "=" not in arg:
      raise SystemExit(
          f"error: unknown argument {arg!r}; config overrides "
          "look like --config.key=value"
      )
    overrides.append(arg[len("--config.") :])
  return overrides


def main(argv: Sequence[str] | None = None) -> None:
  parser = argparse.ArgumentParser(
      prog="python -m jaxvision.methods.violence.crossval",
      description=__doc__,
      formatter_class=argparse.RawDescriptionHelpFormatter,
  )
  parser.add_argument(
      "--config", required=True, help="configs/violence/<file>.py[:arg]"
  )
  parser.add_argument("--workdir", required=True)
  parser.add_argument(
      "--compilation_cache",
      default="",
      help="persistent XLA cache (default WORKDIR/jax_cache): "
      "every fold restarts the engine, so the train step "
      "is compiled once and then read from here",
  )
  args, rest = parser.parse_known_args(argv)
  try:
    config = config_lib.load_config(args.config, _split_overrides(rest))
  except config_lib.ConfigError as e:
    raise SystemExit(f"error: ConfigError: {e}") from e
  cache = args.compilation_cache or os.path.join(args.workdir, "jax_cache")
  jax.config.update("jax_compilation_cache_dir", cache)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
  try:
    report = run(config, args.workdir)
  except user_errors.InputError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
  for name, value in report.items():
    print(f"{name}={value:.6g}")
  sys.stdout.flush()


if __name__ == "__main__":
  main()
