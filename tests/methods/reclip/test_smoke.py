"""The README's main job: RECLIP smoke training learns, visibly, on CPU.

Runs configs/reclip/smoke.py end to end (low-res main phase, pos-emb
up-sampling, high-res finetune) and checks the held-out metrics the
evaluation writes after each stage.
"""

import json
import math

import jax
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import train


@pytest.mark.slow
def test_smoke_learns_lowres_then_highres(tmp_path):
  config = config_lib.load_config(
      "configs/reclip/smoke.py",
      [f"data.data_dir={tmp_path / 'data'}", "log_every=10"],
  )
  final = train.train(
      config,
      str(tmp_path / "run"),
      methods.get("reclip"),
      devices=jax.devices()[:1],
  )
  rows = [
      json.loads(line)
      for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
  ]
  main_losses = [r["loss"] for r in rows if "loss" in r and r["step"] <= 400]
  evals = {r["step"]: r for r in rows if "eval/zeroshot_top1" in r}
  lowres, highres = evals[400], evals[600]

  # The contrastive loss starts near ln(batch) and falls by more than 40%.
  assert main_losses[0] > 0.9 * math.log(256)
  assert main_losses[-1] < 0.6 * main_losses[0]
  # Low resolution: colour and position are learned, stripe fill is not
  # (a 2x2 area down-sample averages the stripes away).
  assert lowres["eval/zeroshot_colour_top1"] >= 0.85
  assert lowres["eval/zeroshot_quadrant_top1"] >= 0.85
  assert lowres["eval/zeroshot_fill_top1"] <= 0.65
  # After the high-res finetune fill becomes visible; nothing else is lost.
  assert highres["eval/zeroshot_fill_top1"] >= 0.75
  assert (
      highres["eval/zeroshot_colour_top1"]
      >= lowres["eval/zeroshot_colour_top1"] - 0.05
  )
  # Held-out results beat chance by a wide margin.
  assert final["zeroshot_top1"] >= final["chance_top1"] + 0.3
  assert final["i2t_r1"] >= 20 * final["chance_r1"]
  assert final["t2i_r1"] >= 20 * final["chance_r1"]
