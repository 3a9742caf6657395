"""A train workdir keeps its config, command, versions and log (workdir.py)."""

import json
import logging

from jaxvision import config_lib
from jaxvision import main
from jaxvision import workdir

FAKE = "tests/core/fake_method.py"


def _train(capsys, path, *overrides):
  code = main.main(
      [
          "train",
          "--config",
          FAKE,
          "--workdir",
          str(path),
          "--config.checkpoint.async_save=False",
          *overrides,
      ]
  )
  out = capsys.readouterr()
  assert code == 0, out.err
  return out.out


def test_run_files_and_resume_warning(capsys, tmp_path):
  run_dir = tmp_path / "run"
  out = _train(capsys, run_dir)
  assert "final held-out metrics:" in out
  config = json.loads((run_dir / workdir.CONFIG).read_text())
  assert config["method"] == "tests.core.fake_method:METHOD"
  assert config["stages"][1]["steps"] == 8 and config["hidden"] == 32
  command = (run_dir / workdir.COMMAND).read_text().splitlines()
  assert len(command) == 1
  assert command[0].endswith(
      f"python -m jaxvision.main train --config {FAKE}"
      f" --workdir {run_dir} "
      "--config.checkpoint.async_save=False"
  )
  versions = json.loads((run_dir / workdir.VERSIONS).read_text())
  assert {
      "python",
      "jax",
      "jaxlib",
      "flax",
      "optax",
      "orbax-checkpoint",
      "grain",
  } <= set(versions)
  log = (run_dir / workdir.LOG).read_text()
  assert "stage=first first_step=0 last_step=12" in log
  assert "final held-out metrics:" in log and "accuracy=" in log

  # Resuming to train longer is normal: a warning names the changed key.
  out = _train(capsys, run_dir, "--config.stages.1.steps=10")
  assert "warning: resuming with a config that differs" in out
  assert "  stages.1.steps: 8 -> 10" in out
  assert (
      json.loads((run_dir / workdir.CONFIG).read_text())["stages"][1]["steps"]
      == 10
  )
  assert len((run_dir / workdir.COMMAND).read_text().splitlines()) == 2
  assert "stages.1.steps: 8 -> 10" in (run_dir / workdir.LOG).read_text()


def test_log_records_and_errors_go_to_train_log(tmp_path):
  config = config_lib.load_config(FAKE)
  try:
    with workdir.recorded(config, str(tmp_path), "cmd"):
      print("printed")
      logging.getLogger("jaxvision.test").warning("a log record")
      raise ValueError("boom")
  except ValueError:
    pass
  log = (tmp_path / workdir.LOG).read_text()
  assert "printed\n" in log
  assert "WARNING jaxvision.test: a log record" in log
  assert "error: ValueError: boom" in log


def test_other_processes_write_nothing(tmp_path):
  config = config_lib.load_config(FAKE)
  with workdir.recorded(
      config, str(tmp_path / "w"), "cmd", is_main_process=False
  ):
    pass
  assert not (tmp_path / "w").exists()


def test_differences():
  old = {"a": 1, "stages": [{"steps": 8}, {"steps": 4}], "gone": "x"}
  new = {"a": 1, "stages": [{"steps": 8}, {"steps": 6}], "new": [1, 2]}
  assert workdir.differences(old, new) == [
      "gone: 'x' -> (absent)",
      "new: (absent) -> [1, 2]",
      "stages.1.steps: 4 -> 6",
  ]
