"""The probing study (seed Fig. 3.4) on the tiny LDM: the AP grid per (block,
t) as CSV, Markdown and a heat map."""

import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import train
from tests.methods.ldznet.tiny import ONE_DEVICE
from tests.methods.ldznet.tiny import TINY


def test_probe_smoke_writes_the_ap_grid(tmp_path):
  config = config_lib.load_config(
      "configs/ldznet/probe.py:smoke",
      TINY
      + [
          "stages.0.steps=4",
          "stages.0.batch_size=8",
          "probe.blocks=(6, 7)",
          "probe.timesteps=(100, 999)",
      ],
  )
  final = train.train(
      config, str(tmp_path), methods.get("ldznet_probe"), ONE_DEVICE
  )
  assert {
      "shapes_phrase/ap_b6_t100",
      "shapes_phrase/ap_b7_t999",
      "best_block",
      "best_t",
  } <= set(final)
  csv = (tmp_path / "probe_ap.csv").read_text().splitlines()
  assert csv[0] == "block,t=100,t=999" and len(csv) == 3
  assert (tmp_path / "probe_ap.png").stat().st_size > 0
  with pytest.raises(ValueError, match="use 999"):
    train.train(
        config_lib.load_config(
            "configs/ldznet/probe.py:smoke",
            TINY + ["probe.blocks=(6,)", "probe.timesteps=(1000,)"],
        ),
        str(tmp_path / "bad"),
        methods.get("ldznet_probe"),
        ONE_DEVICE,
    )
