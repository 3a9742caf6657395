"""A damaged newest checkpoint: moved aside, the previous one used, run ends.

Each test damages step 20 of a finished run in its own way and trains again:
the run must fall back to step 16, move step 20 into checkpoints/corrupt/
(files kept), retrain steps 17..20 and end with the uninterrupted params.
"""

import json
import logging
import pathlib
import shutil

import jax
import numpy as np
import pytest

from jaxvision.core import checkpoint
from jaxvision.core import method as method_lib
from jaxvision.core import train
from tests.core import fake_method
from tests.core import test_train


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
  workdir = tmp_path_factory.mktemp("finished")
  train.train(fake_method.config(), str(workdir), fake_method.METHOD)
  return workdir


def _array_files(step_dir: pathlib.Path) -> list[pathlib.Path]:
  """The OCDBT data files of a step's state item, largest first."""
  files = [
      f
      for f in (step_dir / "state").rglob("*")
      if f.is_file() and f.parent.name == "d"
  ]
  return sorted(files, key=lambda f: -f.stat().st_size)


def _truncate_arrays(step_dir):
  for f in _array_files(step_dir):
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])


def _delete_state_metadata(step_dir):
  (step_dir / "state" / "_METADATA").unlink()


def _delete_meta(step_dir):
  shutil.rmtree(step_dir / "meta")


def _flip_array_bytes(step_dir):
  for f in _array_files(step_dir):
    data = bytearray(f.read_bytes())
    middle = len(data) // 2
    data[middle - 256 : middle + 256] = b"\xff" * 512
    f.write_bytes(bytes(data))


def _nan_in_params(step_dir):
  # Values changed where no checksum sees them (e.g. inside an uncompressed
  # zstd block): the step is rewritten with a NaN in a kernel.
  state = test_train.final_params(step_dir.parent.parent, 20)
  kernel = np.array(state["params"]["model"]["Dense_0"]["kernel"])
  kernel[0, 0] = np.nan
  state["params"]["model"]["Dense_0"]["kernel"] = kernel
  meta = json.loads((step_dir / "meta" / "metadata").read_text())
  data = json.loads((step_dir / "data" / "metadata").read_text())
  shutil.rmtree(step_dir)
  manager = checkpoint.Manager(str(step_dir.parent.parent), async_save=False)
  manager.save(20, state, data, meta)
  manager.close()


@pytest.mark.parametrize(
    "damage",
    [
        _truncate_arrays,
        _delete_state_metadata,
        _delete_meta,
        _flip_array_bytes,
        _nan_in_params,
    ],
)
def test_damaged_latest_is_moved_aside_and_the_run_finishes(
    finished, tmp_path, caplog, damage
):
  workdir = tmp_path / "run"
  shutil.copytree(finished, workdir)
  damage(pathlib.Path(checkpoint.step_directory(workdir, 20)))
  with caplog.at_level(logging.WARNING):
    train.train(fake_method.config(), str(workdir), fake_method.METHOD)
  assert "moved it to" in caplog.text
  assert (checkpoint.directory(workdir) / checkpoint.CORRUPT / "20").is_dir()
  jax.tree.map(
      np.testing.assert_array_equal,
      test_train.final_params(finished, 20),
      test_train.final_params(workdir, 20),
  )
  # A second rerun finds an intact step 20 and trains nothing.
  caplog.clear()
  with caplog.at_level(logging.WARNING):
    train.train(fake_method.config(), str(workdir), fake_method.METHOD)
  assert "moved it to" not in caplog.text


def test_a_step_that_cannot_be_moved_is_skipped_in_place(
    finished, tmp_path, caplog, monkeypatch
):
  workdir = tmp_path / "run"
  shutil.copytree(finished, workdir)
  _delete_meta(pathlib.Path(checkpoint.step_directory(workdir, 20)))
  manager = checkpoint.Manager(str(workdir), async_save=False)

  def read_only(self, target):
    raise OSError(30, "Read-only file system", str(self))

  monkeypatch.setattr(type(manager.directory), "rename", read_only)
  contexts = method_lib.stage_contexts(
      fake_method.config(), jax.make_mesh((8,), ("data",))
  )
  with caplog.at_level(logging.WARNING):
    step, *_ = manager.restore_latest(
        lambda meta: train.build_stage(
            fake_method.METHOD, contexts[meta["stage_index"]]
        ).abstract_checkpoint()
    )
  manager.close()
  assert step == 16
  assert "could not be moved" in caplog.text
  assert pathlib.Path(checkpoint.step_directory(workdir, 20)).is_dir()
