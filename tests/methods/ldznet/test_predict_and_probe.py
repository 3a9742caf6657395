"""A tiny LD-ZNet-family run through pretraining, segmentation, evaluation and
`predict` (mask + overlay PNG); the probing study's AP grid."""

import numpy as np
import pytest
from PIL import Image

from jaxvision import config_lib
from jaxvision import main as cli
from jaxvision import methods
from jaxvision.core import train
from tests.methods.ldznet.tiny import ONE_DEVICE
from tests.methods.ldznet.tiny import TINY
from tests.methods.ldznet.tiny import TINY_SMOKE


def test_tiny_run_eval_and_predict_write_mask_and_overlay(tmp_path):
  workdir = tmp_path / "run"
  final = train.train(config_lib.load_config("configs/ldznet/smoke.py:znet",
                                             TINY_SMOKE),
                      str(workdir), methods.get("ldznet"), ONE_DEVICE)
  assert {"shapes_phrase/iou_fg", "shapes_phrase/ap",
          "shapes_phrase/shuffled_prompt_iou_fg"} <= set(final)
  args = ["--config", "configs/ldznet/smoke.py:znet", "--workdir",
          str(workdir)]
  overrides = [f"--config.{o}" for o in TINY_SMOKE]
  image = np.zeros((48, 80, 3), np.uint8)
  image[10:30, 20:40] = (200, 40, 40)
  Image.fromarray(image).save(tmp_path / "x.png")
  assert cli.run(["predict", *args, *overrides, "--image",
                  str(tmp_path / "x.png"), "--prompt", "red square",
                  "--out", str(tmp_path / "pred")]) == 0
  for name in ("x_mask.png", "x_overlay.png"):
    with Image.open(tmp_path / "pred" / name) as png:
      assert png.size == (80, 48)


def test_probe_smoke_writes_the_ap_grid(tmp_path):
  config = config_lib.load_config(
      "configs/ldznet/probe.py:smoke",
      TINY + ["stages.0.steps=4", "stages.0.batch_size=8",
              "probe.blocks=(6, 7)", "probe.timesteps=(100, 999)"])
  final = train.train(config, str(tmp_path), methods.get("ldznet_probe"),
                      ONE_DEVICE)
  assert {"shapes_phrase/ap_b6_t100", "shapes_phrase/ap_b7_t999",
          "best_block", "best_t"} <= set(final)
  csv = (tmp_path / "probe_ap.csv").read_text().splitlines()
  assert csv[0] == "block,t=100,t=999" and len(csv) == 3
  assert (tmp_path / "probe_ap.png").stat().st_size > 0
  with pytest.raises(ValueError, match="use 999"):
    train.train(config_lib.load_config(
        "configs/ldznet/probe.py:smoke",
        TINY + ["probe.blocks=(6,)", "probe.timesteps=(1000,)"]),
                str(tmp_path / "bad"), methods.get("ldznet_probe"), ONE_DEVICE)
