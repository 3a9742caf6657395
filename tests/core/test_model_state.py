"""Model state (BatchNorm statistics) in its own slot of the train state.

The fake method with `batch_norm=True` keeps running statistics as the
"model" role's model state: optimizers never see them, the step updates
them, checkpoints save them, resume restores them bit-exactly, sharded runs
agree with one device, and `init_from` copies them with the params.
"""

import shutil

import jax
import numpy as np

from jaxvision.core import checkpoint
from jaxvision.core import sharding
from jaxvision.core import train
from tests.core import fake_method
from tests.core import test_train
from tests.methods import engine_checks


def _config(**overrides):
  return fake_method.config(batch_norm=True, **overrides)


def _names(tree) -> list[str]:
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return [sharding.path_name(p) for p, _ in flat]


def test_statistics_are_model_state_and_resume_bit_exact(tmp_path):
  config = _config(checkpoint=dict(every_steps=4, keep=10, async_save=False))
  workdir = tmp_path / "run"
  train.train(config, str(workdir), fake_method.METHOD)
  saved = engine_checks.saved_state(workdir, 20)
  stats = saved["model_state"]["model"]["batch_stats"]["BatchNorm_0"]
  # Updated by the steps (flax initialises mean 0, var 1) and different
  # between checkpoints.
  assert np.abs(stats["mean"]).max() > 1e-3
  assert np.abs(stats["var"] - 1).max() > 1e-3
  earlier = engine_checks.saved_state(workdir, 12)["model_state"]
  assert not np.array_equal(
      earlier["model"]["batch_stats"]["BatchNorm_0"]["mean"], stats["mean"]
  )
  # Neither the params nor the optimizer state hold the statistics.
  assert not [
      n
      for n in _names((saved["params"], saved["opt_state"]))
      if "mean" in n.split("/") or "var" in n.split("/")
  ]
  # `read_params` gives the newest step's roles as the engine loads them.
  step, params, model_state = checkpoint.read_params(workdir)
  assert step == 20 and set(params) == set(model_state) == {"model"}
  jax.tree.map(np.testing.assert_array_equal, saved["model_state"], model_state)
  jax.tree.map(np.testing.assert_array_equal, saved["params"], params)
  # Resume inside the second stage: the same end state, statistics included.
  shutil.rmtree(checkpoint.step_directory(workdir, 20))
  train.train(config, str(workdir), fake_method.METHOD)
  jax.tree.map(
      np.testing.assert_array_equal,
      saved,
      engine_checks.saved_state(workdir, 20),
  )


def test_sharded_batch_norm_agrees_with_one_device(tmp_path):
  config = _config(
      checkpoint=dict(every_steps=4, keep=10, async_save=False), log_every=1
  )
  mesh = {"data": 4, "fsdp": 2}
  engine_checks.assert_devices_agree(
      config, fake_method.METHOD, tmp_path, mesh=mesh
  )
  # Partition rules apply to the model state too (fsdp shards the [32]
  # statistics over the fsdp axis).
  eight = _config(mesh=mesh)
  trainer = train.Trainer(eight, str(tmp_path / "rules"), fake_method.METHOD)
  build = train.build_stage(fake_method.METHOD, trainer.contexts[0])
  specs = {s.spec for s in jax.tree.leaves(build.shardings.model_state)}
  assert specs == {jax.sharding.PartitionSpec("fsdp")}


def test_init_from_copies_model_state(tmp_path):
  source = _config()
  source.stages = source.stages[:1]
  train.train(
      source,
      str(tmp_path / "source"),
      fake_method.METHOD,
      devices=jax.devices()[:1],
  )
  target = _config(init_from={"workdir": str(tmp_path / "source")})
  target.stages = target.stages[:1]
  trainer = train.Trainer(target, str(tmp_path / "target"), fake_method.METHOD)
  build = train.build_stage(fake_method.METHOD, trainer.contexts[0])
  state, _ = trainer._start(build, None, None)  # pylint: disable=protected-access
  loaded = test_train.final_params(
      tmp_path / "source", 12, like=build.abstract.checkpointed()
  )
  jax.tree.map(
      np.testing.assert_array_equal,
      loaded["model_state"],
      jax.device_get(state.model_state),
  )
  jax.tree.map(
      np.testing.assert_array_equal,
      loaded["params"],
      jax.device_get(state.params),
  )
