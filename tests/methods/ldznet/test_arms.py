"""LD-ZNet arms of seed 000 ch. 3: the probing subsets of Fig. 3.4, the
coarse-mask map of Fig. 3.1, and the main config's schedule."""

import jax
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.data import sources
from jaxvision.methods.ldm import data as ldm_data
from jaxvision.methods.ldm import features
from jaxvision.methods.ldznet import coarse_mask
from jaxvision.methods.ldznet import data as data_lib
from jaxvision.models.sd import ldm as sd_ldm
from tests.methods.ldm import micro


def test_probe_uses_small_train_and_val_subsets_of_phrasecut():
  config = config_lib.load_config("configs/ldznet/probe.py")
  # The text's "small subset"; the sizes are the spec's defaults.
  assert (config.data.name, config.data.subset) == ("phrasecut", 5_000)
  val = config.eval.datasets.phrasecut
  assert (val.split, val.subset) == ("val", 1_000)
  assert (
      config.stages[0].steps,
      config.stages[0].batch_size,
      config.stages[0].optim.probes.lr,
  ) == (2_000, 32, 1e-4)
  assert config.probe.timesteps == (
      100,
      200,
      300,
      400,
      500,
      600,
      700,
      800,
      900,
      999,
  )
  assert config.probe.blocks == tuple(range(1, 17))


def test_main_config_keeps_the_spec_budget_of_100k_steps_at_batch_32():
  stage = config_lib.load_config("configs/ldznet/ldznet.py").stages[0]
  assert (stage.steps, stage.batch_size) == (100_000, 32)


def test_subset_draws_distinct_records_once_and_keeps_their_order():
  source = sources.ArraySource({"i": np.arange(100)})
  subset = data_lib.Subset(source, 10, seed=0)
  picked = [int(subset[j]["i"]) for j in range(len(subset))]
  assert len(picked) == len(set(picked)) == 10 and picked == sorted(picked)
  again = data_lib.Subset(source, 10, seed=0)
  assert picked == [int(again[j]["i"]) for j in range(len(again))]
  assert len(data_lib.Subset(source, 0, seed=0)) == 100
  assert len(data_lib.Subset(source, 500, seed=0)) == 100


def test_eval_subset_applies_to_the_configured_dataset():
  config = config_lib.load_config(
      "configs/ldznet/smoke.py", ["eval.datasets.shapes_phrase.size=20"]
  )
  config.eval.datasets.shapes_phrase.subset = 5
  assert len(data_lib.eval_source(config, "shapes_phrase")) == 5
  config.data.subset = 7
  assert len(data_lib.train_source(config.data)) == 7


def test_coarse_mask_is_the_norm_of_the_text_driven_noise_difference():
  config = micro.config()  # SD v1's code paths at micro sizes
  extractor = features.from_config(config.ldm)
  # Random normal weights from the abstract tree: a jitted init of the
  # three roles costs minutes of compile on 2 cores, and the map needs none
  # of its structure.
  rng = np.random.default_rng(0)
  params = jax.tree.map(
      lambda leaf: (0.2 * rng.standard_normal(leaf.shape)).astype(leaf.dtype),
      sd_ldm.abstract_params(extractor.config),
  )
  size = config.ldm.image_size
  images = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3))
  tok = ldm_data.config_tokenizer(config.ldm)
  tokens = np.asarray(
      tok.encode(["red circle", "blue square"], config.ldm.text_len), np.int32
  )
  empty = np.asarray(tok.encode(["", ""], config.ldm.text_len), np.int32)
  keys = np.asarray(features.example_keys(0, np.arange(2)))
  run = jax.jit(coarse_mask.noise_difference_norm, static_argnums=(0, 6))
  maps = np.asarray(
      run(
          extractor, params, images.astype(np.float32), tokens, empty, keys, 500
      )
  )
  assert maps.shape == (2, size, size)
  assert (maps >= 0).all() and maps.max() > 0
  # The empty prompt against itself changes nothing.
  same = np.asarray(
      run(extractor, params, images.astype(np.float32), empty, empty, keys, 500)
  )
  np.testing.assert_allclose(same, 0.0, atol=1e-6)
  shown = np.asarray(coarse_mask.normalise(maps))
  assert shown.min() == 0.0 and np.isclose(shown.max(), 1.0)
  with pytest.raises(ValueError, match="0-indexed"):
    coarse_mask.noise_difference_norm(
        extractor, params, images, tokens, empty, keys, 1000
    )
