"""AP / AR / A-F1 as the seed defines them; fold aggregation; confusion PNG."""

import json
import os

import numpy as np
import pytest

from jaxvision.methods.emfa import evaluate

FIG_2_8 = np.array([[104, 3, 3], [0, 178, 2], [3, 1, 26]])
SHOOTING = ("Penalty-Kick", "Goal", "Free-Kick")


def test_fig_2_8_macro_metrics():
  out = evaluate.metrics_from_confusion(FIG_2_8, SHOOTING)
  assert out["ap"] == pytest.approx(0.9296, abs=1e-4)
  assert out["ar"] == pytest.approx(0.9337, abs=1e-4)
  # A-F1 is the mean of per-class F1s, not the harmonic mean of AP and AR.
  assert out["a_f1"] == pytest.approx(0.9315, abs=1e-4)
  assert out["precision/Free-Kick"] == pytest.approx(26 / 31)
  assert out["accuracy"] == pytest.approx(308 / 320)


def test_never_predicted_class_has_precision_zero():
  cm = np.array([[5, 0, 0], [2, 0, 0], [0, 0, 3]])
  out = evaluate.metrics_from_confusion(cm, ("a", "b", "c"))
  assert out["precision/b"] == 0 and out["f1/b"] == 0
  assert out["ap"] == pytest.approx((5 / 7 + 0 + 1) / 3)


def test_aggregate_folds_sums_matrices_and_averages_scalars(tmp_path):
  folds = [FIG_2_8 // 5, FIG_2_8 - FIG_2_8 // 5]
  workdirs = []
  for k, cm in enumerate(folds):
    workdir = tmp_path / f"fold{k}"
    evaluate.write_confusion(
        str(workdir / "eval" / "confusion_test_10"), cm * 0, SHOOTING, "old"
    )
    evaluate.write_confusion(
        str(workdir / "eval" / "confusion_test_20"), cm, SHOOTING, "new"
    )
    workdirs.append(str(workdir))
  out = evaluate.aggregate_folds(workdirs, out_prefix=str(tmp_path / "sum"))
  per_fold = [
      evaluate.metrics_from_confusion(cm, SHOOTING)["a_f1"] for cm in folds
  ]
  assert out["a_f1"] == pytest.approx(np.mean(per_fold))
  assert out["num_examples"] == 320
  saved = json.loads((tmp_path / "sum.json").read_text())
  np.testing.assert_array_equal(saved["counts"], FIG_2_8)
  assert os.path.getsize(tmp_path / "sum.png") > 1000
  with pytest.raises(FileNotFoundError, match="confusion_val"):
    evaluate.aggregate_folds(workdirs, split="val")
