"""Paper configs refuse to train on random weights (jaxvision/pretrained.py).

Without its pretrained weights a paper config stops `train` (and
`extract-features`) with one line, unless --config.allow_random_init=true;
the shape-only commands keep working; smoke configs train as they are.
"""

import pathlib

import pytest

from jaxvision import commands
from jaxvision import config_lib
from jaxvision import main
from jaxvision import pretrained
from jaxvision import user_errors

PAPER = {
    "configs/ldznet/ldznet.py": "ldm.weights",
    "configs/ldznet/probe.py": "ldm.weights",
    "configs/ldznet/ldm.py": "ldm.weights",
    "configs/violence/biconvlstm.py": "model.backbone_cfg.pretrained_path",
    "configs/emfa/ema_net.py": "model.backbone.init_path",
}


@pytest.mark.parametrize("path", sorted(PAPER))
def test_paper_config_without_weights_refuses_to_train(path, tmp_path):
  key = PAPER[path]
  config = config_lib.load_config(path, [f"{key}=''"])  # most default to it
  with pytest.raises(user_errors.InputError) as raised:
    commands.train(config, str(tmp_path / "run"))
  assert str(raised.value) == (
      f"train needs the config's pretrained weights, but {key} is empty "
      f"({key}); set --config.{key}=PATH (the config's docstring says which "
      "file), or --config.allow_random_init=true to use random weights"
  )
  assert not (tmp_path / "run").exists()
  allowed = config_lib.load_config(path, ["allow_random_init=True"])
  pretrained.check(allowed, "train")
  given = config_lib.load_config(path, [f"{key}=/weights/x"])
  pretrained.check(given, "train")


def test_extract_features_refuses_random_sd(tmp_path):
  config = config_lib.load_config("configs/ldznet/ldm.py")
  with pytest.raises(user_errors.InputError, match="extract-features needs"):
    commands.extract_features(config, str(tmp_path))


def test_every_config_with_weight_keys_decides():
  """A config naming a weights path says whether random init may train."""
  for path in sorted(pathlib.Path("configs").glob("*/*.py")):
    if path.parent.name == "reclip" or path.name in (
        "__init__.py",
        "common.py",
    ):
      continue
    config = config_lib.load_config(str(path))
    if path.name.startswith("smoke"):
      pretrained.check(config, "train")  # smoke configs train as they are
    elif any(
        pretrained._get(config, k) is not None  # pylint: disable=protected-access
        for k in pretrained.WEIGHT_KEYS
    ):
      assert "allow_random_init" in config or path.name == "ldm_tiny.py", path


def test_params_still_works_without_weights(capsys):
  assert main.main(["params", "--config", "configs/ldznet/ldznet.py"]) == 0
  assert "trainable_params=925882936" in capsys.readouterr().out


def test_violence_crossval_refuses_random_vgg13(tmp_path):
  from jaxvision.methods.violence import crossval  # pylint: disable=g-import-not-at-top

  config = config_lib.load_config("configs/violence/biconvlstm.py")
  with pytest.raises(user_errors.InputError, match="crossval needs"):
    crossval.run(config, str(tmp_path / "cv"))
  assert not (tmp_path / "cv").exists()
