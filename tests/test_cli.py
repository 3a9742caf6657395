"""The command line: config errors are clear, commands print name=value."""

import pytest

from jaxvision import config_lib
from jaxvision import main

FAKE = "tests/core/fake_method.py"


def run(capsys, *argv):
  code = main.main(list(argv))
  out = capsys.readouterr()
  return code, out.out, out.err


def test_unknown_key_suggests_the_valid_one(capsys):
  code, _, err = run(capsys, "params", "--config", FAKE,
                     "--config.stages.0.stepz=3")
  assert code == 2
  assert "Unknown config key 'stages.0.stepz'" in err
  assert "Did you mean: stages.0.steps" in err
  assert "Traceback" not in err


def test_wrong_type_and_bad_index_and_missing_file(capsys):
  code, _, err = run(capsys, "params", "--config", FAKE, "--config.hidden=abc")
  assert code == 2 and "expects int" in err
  code, _, err = run(capsys, "params", "--config", FAKE,
                     "--config.stages.5.steps=3")
  assert code == 2 and "index '5' is out of range" in err
  code, _, err = run(capsys, "params", "--config", "configs/nope/x.py")
  assert code == 2 and "does not exist" in err


def test_validation_names_the_problem():
  with pytest.raises(config_lib.ConfigError, match="positive int"):
    config_lib.load_config(FAKE, ["stages.0.steps=0"])
  with pytest.raises(config_lib.ConfigError, match="unknown options"):
    config_lib.load_config("configs/reclip/reclip.py:size=64,bogus")


def test_params_and_flops_print_name_value_lines(capsys):
  code, out, _ = run(capsys, "params", "--config", FAKE)
  assert code == 0
  assert "stage=first\nparams_model=420\ntotal_params=420\n" \
         "trainable_params=420\n" in out
  code, out, _ = run(capsys, "flops", "--config", FAKE)
  assert code == 0
  # Dense 8->32 and 32->4: 384 multiply-adds, plus bias/relu work XLA counts.
  first = float(out.split("gflops_per_example=")[1].split()[0])
  assert 384e-9 <= first <= 600e-9


def test_eval_without_checkpoint_is_a_clear_error(capsys, tmp_path):
  code, _, err = run(capsys, "eval", "--config", FAKE, "--workdir",
                     str(tmp_path))
  assert code == 1
  assert "No restorable checkpoint" in err
