"""Engine checks on a tiny anomaly config: 1 vs 8 devices, resume, predict."""

import numpy as np
from PIL import Image
import pytest

from jaxvision import commands
from jaxvision import config_lib
from jaxvision import methods
from tests.methods import engine_checks

_TINY = [
    "stages.0.steps=4",
    "stages.0.batch_size=16",
    "log_every=1",
    "checkpoint.every_steps=2",
    "checkpoint.async_save=False",
    "data.sizes.num_train=64",
    "data.sizes.num_anomalous=8",
    "data.sizes.num_normal=4",
    "da.num_samples=2",
    "eval.batch_size=16",
    "eval.num_png=0",
]


@pytest.mark.extended
def test_devices_agree(tmp_path):
  config = config_lib.load_config("configs/vae_attention/smoke.py", _TINY)
  engine_checks.assert_devices_agree(
      config, methods.get("vae_attention"), tmp_path
  )


def test_resume_matches_then_predict_writes_maps(tmp_path):
  config = config_lib.load_config("configs/vae_attention/smoke.py", _TINY)
  engine_checks.assert_resume_matches(
      config, methods.get("vae_attention"), tmp_path
  )
  image = tmp_path / "ring.png"
  Image.fromarray(np.full((40, 40), 128, np.uint8)).save(image)
  out = tmp_path / "maps"
  assert (
      commands.predict(
          config,
          str(tmp_path / "run"),
          ["--image", str(image), "--out", str(out)],
      )
      == 0
  )
  assert (out / "ring_attention.png").stat().st_size > 0
