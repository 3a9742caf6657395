"""The `ldm` method: frozen roles for `params`, converted-weight loading,
training refused, resumable feature caching."""

import jax
import numpy as np
import pytest

from jaxvision import commands
from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import checkpoint
from jaxvision.core import method as method_lib
from jaxvision.core import sharding
from jaxvision.methods.ldm import cache
from jaxvision.methods.ldm import features
from jaxvision.methods.ldm import frozen
from jaxvision.weights import sd_v1
from tests.methods.ldm import micro


def test_params_command_prints_frozen_roles(capsys):
  config = config_lib.load_config("configs/ldznet/ldm.py")
  assert commands.params(config, None, []) == 0
  out = capsys.readouterr().out
  for line in (
      "params_unet=859520964",
      "params_vae=83653863",
      "params_text=123060480",
      "total_params=1066235307",
      "trainable_params=0",
  ):
    assert line in out


def test_train_is_refused_with_a_clear_message():
  config = micro.config()
  ctx = method_lib.stage_contexts(config, sharding.make_mesh(None))[0]
  with pytest.raises(ValueError, match="no training step"):
    methods.get("ldm").make_train_step(ctx)


def test_init_reads_converted_weights(tmp_path):
  config = micro.config()
  arch = features.architecture(config.ldm)
  saved = jax.tree.map(
      np.asarray, frozen.jitted_init(arch, "")(jax.random.key(7))
  )
  sd_v1.save(sd_v1.Converted(arch, saved), tmp_path / "w")
  config.ldm.weights = str(tmp_path / "w")
  abstract = jax.eval_shape(
      lambda r: frozen.init(config.ldm, r), jax.random.key(0)
  )
  assert jax.tree.structure(abstract) == jax.tree.structure(saved)
  loaded = jax.jit(lambda r: frozen.init(config.ldm, r))(jax.random.key(0))
  jax.tree.map(np.testing.assert_array_equal, loaded, saved)

  other = micro.config("ldm.unet.model_channels=16")
  other.ldm.weights = str(tmp_path / "w")
  with pytest.raises(checkpoint.CheckpointMismatchError, match="asks"):
    frozen.init(other.ldm, jax.random.key(0))
  missing = micro.config()
  missing.ldm.weights = str(tmp_path / "nowhere")
  with pytest.raises(FileNotFoundError, match="convert sd-v1"):
    frozen.init(missing.ldm, jax.random.key(0))


def test_extract_features_writes_shards_and_resumes(tmp_path):
  config = micro.config()
  out = tmp_path / "features"
  assert cache.extract(config, str(out)) == {
      "shards_written": 3,
      "shards_skipped": 0,
  }
  records = cache.read(str(out))
  assert [r["index"] for r in records] == list(range(10))
  assert records[0]["block_2"].shape == (2, 2, 16)
  assert records[0]["block_4"].shape == (2, 2, 16)
  assert all(300 <= r["t"] < 500 for r in records)
  # A crash mid-shard leaves only a .tmp file: the rerun redoes that shard
  # alone and writes the same features.
  (out / cache.shard_name(1, 3)).rename(out / "partial.tmp")
  assert cache.extract(config, str(out)) == {
      "shards_written": 1,
      "shards_skipped": 2,
  }
  again = cache.read(str(out))
  for a, b in zip(records, again):
    np.testing.assert_allclose(a["block_4"], b["block_4"], atol=1e-6)
  with pytest.raises(ValueError, match="another config"):
    cache.extract(micro.config("extract.seed=1"), str(out))
