"""The command line: config errors are clear, commands print name=value."""

import pathlib
import re
import subprocess
import sys

import pytest

from jaxvision import config_catalog
from jaxvision import config_lib
from jaxvision import config_paths
from jaxvision import main

FAKE = "tests/core/fake_method.py"


def run(capsys, *argv):
  code = main.main(list(argv))
  out = capsys.readouterr()
  return code, out.out, out.err


def test_unknown_key_suggests_the_valid_one(capsys):
  code, _, err = run(
      capsys, "params", "--config", FAKE, "--config.stages.0.stepz=3"
  )
  assert code == 2
  assert "Unknown config key 'stages.0.stepz'" in err
  assert "Did you mean: stages.0.steps" in err
  assert "Traceback" not in err


def test_wrong_type_and_bad_index_and_missing_file(capsys):
  code, _, err = run(capsys, "params", "--config", FAKE, "--config.hidden=abc")
  assert code == 2 and "expects int" in err
  code, _, err = run(
      capsys, "params", "--config", FAKE, "--config.stages.5.steps=3"
  )
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
  assert (
      "stage=first\nparams_model=420\nparams_model/Dense_0=288\n"
      "params_model/Dense_1=132\ntotal_params=420\ntrainable_params=420\n"
      in out
  )
  code, out, _ = run(capsys, "flops", "--config", FAKE)
  assert code == 0
  # Dense 8->32 and 32->4: 384 multiply-adds, plus bias/relu work XLA counts.
  first = float(out.split("gflops_per_example=")[1].split()[0])
  assert 384e-9 <= first <= 600e-9


def test_eval_without_checkpoint_is_a_clear_error(capsys, tmp_path):
  code, _, err = run(
      capsys, "eval", "--config", FAKE, "--workdir", str(tmp_path)
  )
  assert code == 1
  assert "No restorable checkpoint" in err
  assert not (tmp_path / "checkpoints").exists()  # a read-only command


def _python(code: str) -> subprocess.CompletedProcess:
  return subprocess.run(
      [sys.executable, "-c", code],
      capture_output=True,
      text=True,
      timeout=120,
      check=False,
      cwd=pathlib.Path(__file__).parent.parent,
  )


def test_help_and_config_errors_import_no_jax():
  # What makes --help and config errors answer at once: neither loads jax.
  proc = _python(
      "import sys\n"
      "import jaxvision.main as m\n"
      "for argv in (['--help'], ['train', '--help']):\n"
      "  try:\n"
      "    m.main(argv)\n"
      "  except SystemExit as e:\n"
      "    assert e.code == 0, e.code\n"
      "code = m.main(['train', '--config', 'configs/reclip/smoke.py',\n"
      "               '--workdir', 'unused', '--config.nonexistent_key=1'])\n"
      "assert code == 2, code\n"
      "assert 'jax' not in sys.modules, 'jax was imported'\n"
      "print('no-jax-ok')\n"
  )
  assert proc.returncode == 0, proc.stderr
  assert "no-jax-ok" in proc.stdout
  assert "Unknown config key 'nonexistent_key'" in proc.stderr
  # train --help documents the overrides with an example.
  assert "--config.KEY=VALUE" in proc.stdout
  assert "--config.stages.0.steps=100" in proc.stdout


def test_every_smoke_config_loads_without_jax():
  # A config error in any smoke config answers at once (no jax, no method).
  proc = _python(
      "import glob, sys\n"
      "from jaxvision import config_lib\n"
      "for path in sorted(glob.glob('configs/*/smoke*.py')):\n"
      "  config_lib.load_config(path)\n"
      "  assert 'jax' not in sys.modules, path + ' imported jax'\n"
      "print('configs-ok')\n"
  )
  assert proc.returncode == 0, proc.stderr
  assert "configs-ok" in proc.stdout


def test_aot_and_reproduce_are_registered(capsys):
  for command in ("aot", "reproduce"):
    with pytest.raises(SystemExit):
      main.main([command, "--help"])
    assert "usage: python -m jaxvision.main " + command in (
        capsys.readouterr().out
    )
  with pytest.raises(SystemExit):
    main.main(["aot", "--topology", "v3-8"])  # --config is required.
  assert "--config" in capsys.readouterr().err


def test_missing_input_paths_are_all_reported_before_anything_runs(
    capsys, tmp_path
):
  workdir = tmp_path / "w"
  code, _, err = run(
      capsys,
      "train",
      "--config",
      "configs/sharingan/mde_vkitti_kitti.py",
      "--workdir",
      str(workdir),
      "--config.data.kitti_root=/nonexistent/k",
  )
  assert code == 2
  # 8 for training and the test evaluations, 2 for the KITTI validation
  # split that selects the checkpoint.
  assert "10 input path(s) of the config do not exist" in err
  for key in (
      "data.kitti_root",
      "data.vkitti_root",
      "data.kitti_train_list",
      "evals.kitti_cap50.list_file",
      "evals.make3d.root",
      "val_evals.kitti_val.root",
      "val_evals.kitti_val.list_file",
  ):
    assert f"--config.{key}:" in err
  assert "'/nonexistent/k' not found" in err
  assert "e.g. --config.data.vkitti_root=/data/vkitti" in err  # docstring
  assert "evals.kitti_cap50.cache_dir" not in err  # an output, not an input
  assert not workdir.exists()


def test_input_paths_rules(tmp_path):
  (tmp_path / "weights.npz").write_bytes(b"")
  config = config_lib.normalize(
      dict(
          method="m",
          stages=[dict(name="s", steps=1, batch_size=1)],
          data=dict(
              root=str(tmp_path / "absent"),
              cache_dir="/nonexistent/c",
              split="train",
              tokenizer="builtin:words",
              path=str(tmp_path / "*.tar"),
          ),
          model=dict(
              init_path=str(tmp_path / "weights.npz"),
              remote="gs://b/x",
              smpl="/nonexistent/body.npz",
              empty_dir="",
          ),
          toy=dict(kind="synthetic", root="/nonexistent/generated"),
      )
  )
  assert [m.key for m in config_paths.missing(config)] == [
      "data.path",
      "data.root",
      "model.smpl",
  ]
  with pytest.raises(config_lib.ConfigError, match="3 input path"):
    config_paths.check(config)


def test_smoke_configs_pass_the_path_check():
  smoke = sorted(pathlib.Path("configs").glob("*/smoke*.py"))
  assert len(smoke) >= 9
  for path in smoke:
    config = config_lib.load_config(str(path))
    assert not config_paths.missing(config), path


def test_configs_command_lists_every_config(capsys):
  code, out, _ = run(capsys, "configs")
  assert code == 0
  files = {
      p.as_posix()
      for p in pathlib.Path("configs").glob("*/*.py")
      if "def get_config" in p.read_text()
  }
  listed = set(re.findall(r"^(configs/\S+\.py)$", out, re.M))
  assert listed == files
  assert f"configs={len(files)}" in out
  reclip = out.split("configs/reclip/reclip.py\n")[1].split("\n\n")[0]
  assert reclip.startswith("  RECLIP paper configs (seed 002, ch. 3)")
  assert "options: size=64|80|112, clip224, long, f20k," in reclip
  assert (
      "run: python -m jaxvision.main train --config "
      "configs/reclip/reclip.py:size=64 --workdir" in reclip
  )
  smoke = out.split("configs/reclip/smoke.py\n")[1].split("\n\n")[0]
  assert "options: none (get_config ignores its argument)" in smoke
  code, out, _ = run(capsys, "configs", "sharingan")
  assert code == 0 and "configs=3" in out
  assert "options: no_gen, no_rec, all_syn, all_real" in out
  assert "options: baseline" in out  # from `smoke.py:baseline` uses.
  code, _, err = run(capsys, "configs", "nope")
  assert code == 2 and "methods with configs: akd," in err


def _loads(spec: str) -> bool:
  try:
    config_lib.load_config(spec)
  except config_lib.ConfigError:
    return False
  return True


def test_every_listed_option_is_accepted():
  # The options come from docstrings: each concrete one must load, alone or
  # after one of the config's plain options (akd's `pseudo,study=t49`).
  for e in config_catalog.entries():
    plain = [o for o in e.options if "=" not in o]
    for option in e.options:
      option = option.split("|")[0]
      if re.search(r"[A-Z<._]", option.partition("=")[2] or option[:1]):
        continue  # a placeholder (size=N, <dataset>_...) or a suffix
      assert _loads(f"{e.path}:{option}") or any(
          _loads(f"{e.path}:{base},{option}") for base in plain
      ), (e.path, option)
