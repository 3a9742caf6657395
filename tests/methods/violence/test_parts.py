"""Violence detection parts: protocols, folds, data, model sizes (spec 7-11)."""

import jax
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.core import optim
from jaxvision.data import pp
from jaxvision.methods.violence import data
from jaxvision.methods.violence import method
from jaxvision.methods.violence import model as model_lib
from jaxvision.methods.violence import protocol
from jaxvision.methods.violence import synthetic


def test_windowed_peak_and_per_fold_max_by_hand():
  acc = np.array([[0.5, 0.7, 0.9, 0.8, 0.6], [0.6, 0.8, 0.8, 1.0, 0.7]])
  # Fold means: .55 .75 .85 .9 .65 -> peak at epoch 3 (0-based).
  out = protocol.windowed_peak_accuracy(acc, radius=1)
  pooled = [0.9, 0.8, 0.6, 0.8, 1.0, 0.7]  # epochs 2..4, clipped at the end
  assert out["peak_epoch"] == 3 and out["num_values"] == 6
  np.testing.assert_allclose(out["mean"], np.mean(pooled))
  np.testing.assert_allclose(out["std"], np.std(pooled))
  np.testing.assert_allclose(out["peak_mean"], 0.9)
  # Radius larger than the curve pools everything.
  np.testing.assert_allclose(
      protocol.windowed_peak_accuracy(acc, radius=10)["mean"], acc.mean()
  )
  best = protocol.per_fold_max(acc)
  np.testing.assert_allclose([best["mean"], best["std"]], [0.95, 0.05])
  np.testing.assert_allclose(protocol.last_epoch(acc)["mean"], 0.65)
  with pytest.raises(ValueError, match="folds, epochs"):
    protocol.per_fold_max(np.ones(3))


def test_folds_are_stratified_seeded_and_near_equal():
  labels = np.array([0] * 123 + [1] * 123)  # Violent Flows: 246 clips
  folds = protocol.assign_folds(labels, 5, seed=3)
  sizes = np.bincount(folds)
  assert sizes.min() >= 49 and sizes.max() <= 50
  for f in range(5):
    assert abs(np.sum(labels[folds == f]) - np.sum(folds == f) / 2) <= 1
  np.testing.assert_array_equal(folds, protocol.assign_folds(labels, 5, 3))
  assert not np.array_equal(folds, protocol.assign_folds(labels, 5, 4))


def test_synthetic_fights_are_deterministic_and_balanced():
  a = synthetic.generate("synthetic_fights", 8, 6, 32, 1)
  b = synthetic.generate.__wrapped__("synthetic_fights", 8, 6, 32, 1)
  np.testing.assert_array_equal(a["frames"], b["frames"])
  assert a["frames"].shape == (8, 6, 32, 32, 3)
  assert a["frames"].dtype == np.uint8 and a["label"].sum() == 4
  # Violent clips change more between frames than calm ones (both carry
  # the same per-frame noise).
  motion = np.abs(np.diff(a["frames"].astype(float), axis=1)).mean((1, 2, 3, 4))
  assert motion[a["label"] == 1].min() > motion[a["label"] == 0].max()
  rev = synthetic.generate("synthetic_fights_reversal", 4, 6, 32, 1)
  np.testing.assert_array_equal(rev["frames"][0], rev["frames"][1][::-1])


def test_augmentation_is_clip_consistent():
  config = config_lib.load_config("configs/violence/smoke.py", [])
  static = np.repeat(
      np.random.default_rng(0).integers(0, 255, (1, 32, 32, 3), np.uint8),
      8,
      axis=0,
  )
  fn = pp.build(data.pp_string(config, train=True))
  for seed in range(4):
    out = fn(
        {"frames": static, "label": np.int32(1)}, np.random.default_rng(seed)
    )["frames"]
    assert out.shape == (8, 32, 32, 3) and out.max() <= 1.0
    # Same crop and flip for every frame: a static clip has zero differences.
    assert np.abs(np.diff(out, axis=0)).max() == 0.0
  assert "central_crop" in data.pp_string(config, train=False)


def test_frame_differences_sign():
  frames = np.arange(3, dtype=np.float32).reshape(1, 3, 1, 1, 1)
  np.testing.assert_array_equal(
      model_lib.frame_differences(frames, "prev_minus_next").ravel(), [-1, -1]
  )
  np.testing.assert_array_equal(
      model_lib.frame_differences(frames, "next_minus_prev").ravel(), [1, 1]
  )


def _abstract_init(config):
  """(params, model state) of the "model" role, abstract."""
  ctx = type("Ctx", (), {"config": config})
  params, model_state = jax.eval_shape(
      lambda: method.init(ctx, jax.random.key(0))
  )
  return params["model"], model_state.get("model", {})


@pytest.mark.parametrize(
    "arg", ["hockey_spatiotemporal", "violentflows_spatial_nobn"]
)
def test_paper_sizes(arg):
  config = config_lib.load_config(f"configs/violence/biconvlstm.py:{arg}", [])
  params, model_state = _abstract_init(config)
  # VGG13 features: 9,404,992 conv parameters (torchvision vgg13.features).
  assert optim.count_params(params["backbone"]) == 9_404_992
  # Flattened 14x14x512 = 100,352 -> FC1000: 100.4M parameters (spec 3.1).
  assert params["classifier"]["fc_0"]["kernel"].shape == (100_352, 1000)
  classifier = 100_352_000 + 1000 + 1000 * 256 + 256 + 256 * 10 + 10 + 22
  if config.model.use_batchnorm:
    classifier += 2 * 1000  # BN scale and bias after FC1000
  assert optim.count_params(params["classifier"]) == classifier
  if arg.startswith("hockey"):
    # Per direction: conv over [512 input, 256 hidden] -> 4 x 256 gates, 3x3;
    # fusion conv 512 -> 512, 3x3.
    gates = (512 + 256) * 9 * 1024 + 1024
    assert optim.count_params(params["temporal_0"]) == (
        2 * gates + 512 * 9 * 512 + 512
    )
    assert "bn" in model_state["batch_stats"]["classifier"]
  else:
    assert "temporal_0" not in params and not model_state
  assert config.data.aug.random_crop == arg.startswith("hockey")
  assert config.stages[0].optim.b1 == 0.5 and config.loss.l2 == 0.1


def test_bad_config_values_are_clear():
  config = config_lib.load_config(
      "configs/violence/smoke.py", ["model.aggregation=median"]
  )
  with pytest.raises(ValueError, match="model.aggregation='median'"):
    model_lib.build(config)
  config = config_lib.load_config(
      "configs/violence/smoke.py", ["data.name=hockey"]
  )
  with pytest.raises(FileNotFoundError, match="data.root"):
    data.split(config, held_out=True)
  with pytest.raises(config_lib.ConfigError, match="spatail"):
    config_lib.load_config("configs/violence/smoke.py:spatail", [])
