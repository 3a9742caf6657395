"""LD-ZNet from cached frozen-branch outputs (`extract-features`): the cached
run trains on what the on-the-fly run computes; reuse past the cached
epochs; refusals and mismatch errors."""

import functools

import jax
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import method as method_lib
from jaxvision.core import sharding
from jaxvision.core import train
from jaxvision.methods.ldm import cache as cache_lib
from jaxvision.methods.ldm import features
from jaxvision.methods.ldznet import feature_cache
from jaxvision.methods.ldznet import forward as forward_lib
from jaxvision.methods.ldznet import method as ldznet_method
from tests.methods import engine_checks
from tests.methods.ldznet.tiny import ONE_DEVICE
from tests.methods.ldznet.tiny import TINY

# The segment stage alone (random frozen LDM): 16 records, batch 8, 4 steps =
# 2 epochs of the stream.
SEGMENT_ONLY = TINY + [
    "stages.2.steps=4",
    "stages.2.batch_size=8",
    "extract.batch_size=8",
    "extract.shard_size=8",
]


def _config(variant="ldznet", *overrides):
  config = config_lib.load_config(
      f"configs/ldznet/smoke.py:{variant}", SEGMENT_ONLY + list(overrides)
  )
  config.stages = config.stages[-1:]
  return config


def _run(config, workdir):
  train.train(config, str(workdir), methods.get("ldznet"), ONE_DEVICE)
  step = engine_checks.checkpoint_steps(workdir)[-1]
  return (
      engine_checks.logged(workdir, "mean_bce"),
      engine_checks.saved_state(workdir, step)["params"]["net"],
  )


@pytest.fixture(name="ldznet_cache", scope="module")
def _ldznet_cache(tmp_path_factory):
  """A one-epoch cache of the LD-ZNet segment stage (and its config)."""
  config = _config("ldznet")
  out = tmp_path_factory.mktemp("ldznet") / "cache"
  assert feature_cache.extract(config, str(out)) == {
      "shards_written": 2,
      "shards_skipped": 0,
  }
  assert feature_cache.extract(config, str(out)) == {
      "shards_written": 0,
      "shards_skipped": 2,
  }
  return config, str(out)


def test_cached_outputs_reproduce_the_on_the_fly_forward(ldznet_cache):
  config, out = ldznet_cache
  record = cache_lib.Reader(out)[5]
  assert record["index"] == 5 and 300 <= record["t"] < 500
  assert record["z"].shape == (8, 8, 4)
  assert record["block_7"].shape == (1, 1, 128)
  assert record["block_10"].shape == (2, 2, 128)
  cached = config.copy_and_resolve_references()
  cached.ldm.feature_cache = out
  ctx = method_lib.stage_contexts(cached, sharding.make_mesh(None))[0]
  batch = next(
      ldznet_method.make_train_data(ctx, method_lib.data_seed(cached, 0))
  )
  assert set(forward_lib.cached_keys(cached)) <= set(batch)
  params = jax.jit(functools.partial(ldznet_method.init, ctx))(
      train.base_rng(cached, 0)
  )
  forward = jax.jit(forward_lib.make_forward(cached, training=True))
  keys = features.example_keys(cached.seed, batch["index"])
  args = (params["net"], params["ldm"], batch["image"], batch["tokens"], keys)
  on_the_fly = forward(*args)
  from_cache = forward(
      *args, {k: batch[k] for k in forward_lib.cached_keys(cached)}
  )
  assert float(np.std(on_the_fly)) > 0.01
  np.testing.assert_allclose(from_cache, on_the_fly, atol=1e-5)


@pytest.mark.slow
@pytest.mark.extended
def test_cached_run_trains_like_the_on_the_fly_run(tmp_path):
  config = _config("ldznet", "extract.epochs=2")
  out = tmp_path / "cache"
  assert feature_cache.extract(config, str(out))["shards_written"] == 4
  fly_losses, fly_params = _run(config, tmp_path / "fly")
  cached = config.copy_and_resolve_references()
  cached.ldm.feature_cache = str(out)
  cached_losses, cached_params = _run(cached, tmp_path / "cached")
  assert sorted(cached_losses) == [1, 2, 3, 4]
  np.testing.assert_allclose(
      list(cached_losses.values()), list(fly_losses.values()), rtol=1e-4
  )
  for a, b in zip(jax.tree.leaves(cached_params), jax.tree.leaves(fly_params)):
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_epochs_past_the_cache_reuse_the_cached_views(ldznet_cache):
  config, out = ldznet_cache
  cached = config.copy_and_resolve_references()
  cached.ldm.feature_cache = out
  ctx = method_lib.stage_contexts(cached, sharding.make_mesh(None))[0]
  stream = ldznet_method.make_train_data(ctx, method_lib.data_seed(cached, 0))
  epochs = [[next(stream) for _ in range(2)] for _ in range(2)]
  reader = cache_lib.Reader(out)
  views = []
  for epoch in epochs:
    rows = {}
    for batch in epoch:
      for i, index in enumerate(batch["index"]):
        rows[int(index)] = (batch["tokens"][i], batch["block_10"][i])
        np.testing.assert_array_equal(batch["z"][i], reader[int(index)]["z"])
    views.append(rows)
  # The cache holds one epoch: epoch 1 is epoch 0's 16 views (indices,
  # prompts, features), reordered.
  assert sorted(views[0]) == sorted(views[1]) == list(range(16))
  assert [b["index"].tolist() for b in epochs[0]] != [
      b["index"].tolist() for b in epochs[1]
  ]
  for index, (tokens, block) in views[0].items():
    np.testing.assert_array_equal(tokens, views[1][index][0])
    np.testing.assert_array_equal(block, views[1][index][1])


def test_znet_caches_only_the_latents():
  meta = feature_cache.metadata(_config("znet"), 0, 0, 16, 1, 8)
  assert meta["keys"] == ["z"]


def test_a_cache_of_another_config_is_refused(ldznet_cache, tmp_path):
  _, out = ldznet_cache
  other = _config("ldznet", "ldm.timesteps.low=100")
  other.ldm.feature_cache = out
  ctx = method_lib.stage_contexts(other, sharding.make_mesh(None))[0]
  with pytest.raises(ValueError, match=r"another \['timesteps'\]"):
    ldznet_method.make_train_data(ctx, method_lib.data_seed(other, 0))
  other.ldm.feature_cache = str(tmp_path / "nowhere")
  with pytest.raises(FileNotFoundError, match="extract-features"):
    ldznet_method.make_train_data(ctx, method_lib.data_seed(other, 0))


def test_uncacheable_configs_are_refused(tmp_path):
  pretrained_in_run = config_lib.load_config(
      "configs/ldznet/smoke.py", SEGMENT_ONLY
  )
  with pytest.raises(ValueError, match="train the LDM inside the run"):
    feature_cache.extract(pretrained_in_run, str(tmp_path / "a"))
  with pytest.raises(ValueError, match="nothing to cache"):
    feature_cache.extract(_config("rgbnet"), str(tmp_path / "b"))
  pretraining = config_lib.load_config(
      "configs/ldznet/smoke.py", SEGMENT_ONLY + ["extract.stage=0"]
  )
  with pytest.raises(ValueError, match="not a segmentation stage"):
    feature_cache.extract(pretraining, str(tmp_path / "c"))
