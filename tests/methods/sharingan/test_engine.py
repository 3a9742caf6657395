"""Engine contract on a tiny SharinGAN config: devices agree, resume matches,
model selection on a validation split; the paper configs select on theirs.

Two stages (G auto-encoder, then the joint D -> G -> T step) with a
checkpoint at the stage boundary, so resuming re-enters the joint stage
through `transition` and restores all three roles' optimizers.
"""

import jax
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import train
from tests.methods import engine_checks

OVERRIDES = [
    "data.height=16",
    "data.width=32",
    "data.sizes.syn_train=16",
    "data.sizes.real_train=16",
    "evals.procedural.size=8",
    "adv.k_critic=1",
    "log_every=1",
    "checkpoint.every_steps=2",
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
  engine_checks.assert_devices_agree(
      _config(), methods.get("sharingan"), tmp_path
  )


@pytest.mark.extended
def test_resume_matches(tmp_path):
  engine_checks.assert_resume_matches(
      _config(), methods.get("sharingan"), tmp_path
  )


def test_paper_configs_select_on_validation_and_test_the_best():
  for path, metric, val_list in (
      (
          "configs/sharingan/mde_vkitti_kitti.py",
          "kitti_val/abs_rel",
          "eigen_val_files.txt",
      ),
      ("configs/sharingan/fne_sfs_celeba.py", "photoface_val/mae", "train.txt"),
  ):
    config = config_lib.load_config(path)
    assert config.select_best.to_dict() == {
        "metric": metric,
        "mode": "min",
        "split": "validation",
    }
    (val,) = config.val_evals.values()
    assert val.list_file.endswith(val_list)
    assert config.stages[-1].eval_every == 1000
    assert all(
        v.list_file != val.list_file
        for v in config.evals.values()
        if "list_file" in v
    )
  fne = config_lib.load_config("configs/sharingan/fne_sfs_celeba.py")
  assert fne.val_evals.photoface_val.val_fraction == 0.15
  mde = config_lib.load_config("configs/sharingan/mde_vkitti_kitti.py")
  assert mde.val_evals.kitti_val.max_depth == 50.0


@pytest.mark.slow
def test_selects_the_best_validation_step(tmp_path):
  config = _config()
  config.val_evals = {
      "procedural_val": dict(
          config.evals.procedural.to_dict(), split="real_val"
      )
  }
  config.select_best = {
      "metric": "procedural_val/abs_rel",
      "mode": "min",
      "split": "validation",
  }
  config.stages[-1].eval_every = 1
  final = train.train(
      config, str(tmp_path), methods.get("sharingan"), jax.devices()[:1]
  )
  rows = engine_checks.logged(
      tmp_path, "eval_validation/procedural_val/" "abs_rel"
  )
  assert sorted(rows) == [3, 4]
  assert final["best_step"] == min(rows, key=lambda s: (rows[s], s))
  assert "procedural/abs_rel" in final
