"""The train loop with a fake method: sharding agreement, stages, NaN guard."""

import json
import pathlib

import jax
import numpy as np
import pytest

from jaxvision.core import checkpoint
from jaxvision.core import init_from
from jaxvision.core import metrics
from jaxvision.core import train
from tests.core import fake_method


def read_metrics(workdir) -> list[dict]:
  lines = pathlib.Path(workdir, "metrics.jsonl").read_text().splitlines()
  return [json.loads(line) for line in lines]


def losses(workdir) -> dict[int, float]:
  return {
      row["step"]: row["loss"] for row in read_metrics(workdir) if "loss" in row
  }


def final_params(workdir, step, like=None):
  """The checkpointed state at `step`; `like` (a tree of arrays) restores it
  on one device whatever topology wrote it."""
  return checkpoint.read_state(workdir, step, like=like)[1]


def test_one_and_eight_devices_agree(tmp_path):
  cfg = fake_method.config()
  one = train.train(
      cfg, str(tmp_path / "one"), fake_method.METHOD, devices=jax.devices()[:1]
  )
  cfg8 = fake_method.config(mesh={"data": 4, "fsdp": 2})
  eight = train.train(cfg8, str(tmp_path / "eight"), fake_method.METHOD)
  assert len(jax.devices()) == 8
  l1, l8 = losses(tmp_path / "one"), losses(tmp_path / "eight")
  assert sorted(l1) == [4, 8, 12, 16, 20]
  np.testing.assert_allclose(
      [l1[s] for s in sorted(l1)], [l8[s] for s in sorted(l8)], rtol=1e-5
  )
  assert one["accuracy"] == pytest.approx(eight["accuracy"], abs=1e-6)
  p1, p8 = final_params(tmp_path / "one", 20), final_params(
      tmp_path / "eight", 20
  )
  jax.tree.map(
      lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
      p1,
      p8,
  )
  # The logged FLOPs are those of the global step, whatever the mesh (the
  # sharded program has collectives and padding, hence the tolerance).
  f1, f8 = (
      max(r.get("flops_per_step", 0) for r in read_metrics(tmp_path / d))
      for d in ("one", "eight")
  )
  assert f1 > 0 and f8 == pytest.approx(f1, rel=0.25)


def test_learns_and_logs(tmp_path):
  result = train.train(fake_method.config(), str(tmp_path), fake_method.METHOD)
  steps = losses(tmp_path)
  assert steps[20] < 0.75 * steps[4]
  assert result["accuracy"] > 2 * result["chance"]
  rows = read_metrics(tmp_path)
  assert any("flops_per_step" in r and r["flops_per_step"] > 0 for r in rows)
  assert all(r["device_hours"] > 0 for r in rows if "loss" in r)
  # The learning rate of the trained role and the speed, for TensorBoard.
  logged = [r for r in rows if "loss" in r]
  assert all(r["steps_per_sec"] > 0 for r in logged)
  rates = [r["lr/model"] for r in logged]
  assert all(0 <= lr < 1 for lr in rates) and len(set(rates)) > 1
  assert list(tmp_path.glob("events.out.tfevents.*"))
  # The second stage's first-layer kernel grew (transition ran).
  state = final_params(tmp_path, 20)
  assert state["params"]["model"]["Dense_0"]["kernel"].shape == (16, 32)
  assert final_params(tmp_path, 12)["params"]["model"]["Dense_0"][
      "kernel"
  ].shape == (8, 32)


def test_nan_guard_stops_without_saving_nan(tmp_path):
  cfg = fake_method.config(nan_at_step=6)
  with pytest.raises(metrics.NonFiniteError, match="step 8.*step 4"):
    train.train(cfg, str(tmp_path), fake_method.METHOD)
  assert checkpoint.steps(tmp_path) == [4]
  state = final_params(tmp_path, 4)
  assert all(np.isfinite(x).all() for x in jax.tree.leaves(state["params"]))


def test_changed_architecture_in_old_workdir_is_a_clear_error(tmp_path):
  train.train(fake_method.config(), str(tmp_path), fake_method.METHOD)
  with pytest.raises(
      checkpoint.CheckpointMismatchError,
      match=r"(?s)Checkpoint 20 .*shape mismatch",
  ):
    train.train(
        fake_method.config(hidden=16), str(tmp_path), fake_method.METHOD
    )


def test_resume_in_process_matches_uninterrupted(tmp_path):
  full = tmp_path / "full"
  train.train(fake_method.config(), str(full), fake_method.METHOD)
  # Stop after the first stage (as if interrupted at the boundary), then
  # after 16 steps (inside the second stage), and resume each time.
  part = tmp_path / "part"
  cfg = fake_method.config()
  first_only = fake_method.config()
  first_only.stages = first_only.stages[:1]
  train.train(first_only, str(part), fake_method.METHOD)
  train.train(cfg, str(part), fake_method.METHOD)
  a, b = final_params(full, 20), final_params(part, 20)
  jax.tree.map(np.testing.assert_array_equal, a, b)


def test_init_from_loads_roles_and_reports_mismatch(tmp_path):
  source = fake_method.config()
  source.stages = source.stages[:1]
  # Written on one device, loaded on eight: init_from crosses topologies.
  train.train(
      source,
      str(tmp_path / "source"),
      fake_method.METHOD,
      devices=jax.devices()[:1],
  )
  target = fake_method.config(init_from={"workdir": str(tmp_path / "source")})
  target.stages = target.stages[:1]
  target.stages[0].steps = 1
  trainer = train.Trainer(target, str(tmp_path / "target"), fake_method.METHOD)
  build = train.build_stage(fake_method.METHOD, trainer.contexts[0])
  loaded = final_params(
      tmp_path / "source", 12, like=build.abstract.checkpointed()
  )["params"]["model"]
  state, _ = trainer._start(build, None, None)  # pylint: disable=protected-access
  jax.tree.map(
      np.testing.assert_array_equal,
      loaded,
      jax.device_get(state.params["model"]),
  )

  wider = fake_method.config(
      hidden=16, init_from={"workdir": str(tmp_path / "source")}
  )
  with pytest.raises(
      init_from.CheckpointMismatchError,
      match=r"(?s)shape mismatch.*Dense_0/kernel: \(8, 32\)",
  ):
    train.train(wider, str(tmp_path / "wider"), fake_method.METHOD)


def test_role_trained_then_frozen_is_checkpointed_and_resumed(tmp_path):
  # Stage "first" trains model and teacher; "second" freezes the teacher.
  # Its weights exist nowhere but in this run, so checkpoints of "second"
  # must hold them: resuming from step 16 must not rebuild it from `init`.
  def config():
    cfg = fake_method.config(with_teacher=True)
    cfg.stages[1].input_dim = 8
    cfg.stages[1].optim = {
        "model": cfg.stages[1].optim.to_dict(),
        "teacher": {"name": "frozen"},
    }
    return cfg

  full, part = tmp_path / "full", tmp_path / "part"
  train.train(
      config(), str(full), fake_method.METHOD, devices=jax.devices()[:1]
  )
  trained = final_params(full, 12)["params"]["teacher"]
  initial = jax.device_get(
      train.build_stage(
          fake_method.METHOD,
          train.Trainer(config(), str(full), fake_method.METHOD).contexts[0],
      )
      .init(train.base_rng(config(), 0))
      .params["teacher"]
  )
  assert not np.allclose(
      initial["Dense_0"]["kernel"], trained["Dense_0"]["kernel"]
  )
  saved = final_params(full, 20)
  jax.tree.map(
      np.testing.assert_array_equal, trained, saved["frozen"]["teacher"]
  )
  train.train(
      config(), str(part), fake_method.METHOD, devices=jax.devices()[:1]
  )
  checkpoint.step_directory(part, 20).rename(part / "dropped_20")
  train.train(
      config(), str(part), fake_method.METHOD, devices=jax.devices()[:1]
  )
  jax.tree.map(
      np.testing.assert_array_equal,
      final_params(full, 20),
      final_params(part, 20),
  )


def test_frozen_teacher_from_init_from_is_reloaded_on_resume(tmp_path):
  source = fake_method.config()
  source.stages = source.stages[:1]
  train.train(
      source,
      str(tmp_path / "source"),
      fake_method.METHOD,
      devices=jax.devices()[:1],
  )
  teacher = final_params(tmp_path / "source", 12)["params"]["model"]

  def student():
    cfg = fake_method.config(
        with_teacher=True,
        init_from={
            "workdir": str(tmp_path / "source"),
            "roles": ["teacher"],
            "role_map": {"teacher": "model"},
        },
    )
    cfg.stages = cfg.stages[:1]
    for stage in cfg.stages:
      stage.optim = {
          "model": stage.optim.to_dict(),
          "teacher": {"name": "frozen"},
      }
    return cfg

  full, part = tmp_path / "full", tmp_path / "part"
  train.train(student(), str(full), fake_method.METHOD)
  # Drop the last checkpoint, as if the run died after step 8: resuming must
  # bring the loaded teacher back (frozen roles are not checkpointed), not a
  # fresh random one, and end where the uninterrupted run ended.
  train.train(student(), str(part), fake_method.METHOD)
  checkpoint.step_directory(part, 12).rename(part / "dropped_12")
  build = train.build_stage(
      fake_method.METHOD,
      train.Trainer(student(), str(part), fake_method.METHOD).contexts[0],
  )
  resumed = build.from_checkpoint(
      final_params(part, 8, like=(build.abstract.checkpointed()))
  )
  jax.tree.map(
      np.testing.assert_array_equal,
      teacher,
      jax.device_get(resumed.frozen["teacher"]),
  )
  train.train(student(), str(part), fake_method.METHOD)
  jax.tree.map(
      np.testing.assert_array_equal,
      final_params(full, 12),
      final_params(part, 12),
  )


def test_progress_line_has_the_stage_and_run_eta(monkeypatch):
  clock = iter([100.0, 110.0])
  monkeypatch.setattr(metrics.time, "monotonic", lambda: next(clock))
  progress = metrics.Progress("lowres", 0, 400, 600)
  line = progress.line(100, {"loss": 1.5})  # 10 steps/s after 10 s
  assert line == (
      "stage=lowres step=100/400 loss=1.5 steps_per_sec=10.00 "
      "eta=0:00:30 run_eta=0:00:50"
  )
