"""Engine contract on a tiny SharinGAN config: devices agree, resume matches.

Two stages (G auto-encoder, then the joint D -> G -> T step) with a
checkpoint at the stage boundary, so resuming re-enters the joint stage
through `transition` and restores all three roles' optimizers.
"""

import pytest

from jaxvision import config_lib
from jaxvision import methods
from tests.methods import engine_checks

OVERRIDES = [
    "data.height=16", "data.width=32", "data.sizes.syn_train=16",
    "data.sizes.real_train=16", "evals.procedural.size=8",
    "adv.k_critic=1", "log_every=1", "checkpoint.every_steps=2",
    "checkpoint.async_save=False",
]


def _config():
  config = config_lib.load_config("configs/sharingan/smoke.py", OVERRIDES)
  stages = [config.stages[0], config.stages[2]]
  stages[0].steps = stages[1].steps = 2
  config.stages = stages
  return config


@pytest.mark.extended
def test_devices_agree(tmp_path):
  engine_checks.assert_devices_agree(_config(), methods.get("sharingan"),
                                     tmp_path)


@pytest.mark.extended
def test_resume_matches(tmp_path):
  engine_checks.assert_resume_matches(_config(), methods.get("sharingan"),
                                      tmp_path)
