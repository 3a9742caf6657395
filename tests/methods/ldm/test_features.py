"""LDM feature extraction: block numbering, shapes, early stop, randomness,
sharding."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.core import sharding
from jaxvision.methods.ldm import features
from jaxvision.methods.ldm import frozen
from jaxvision.models.sd import attention
from jaxvision.models.sd import ldm
from jaxvision.models.sd import unet
from tests.methods.ldm import micro


def test_sd_v1_block_table_at_384():
  """Spec 3.3: 16 blocks; channels and 48/24/12/6 sizes at 384 px."""
  cfg = config_lib.load_config("configs/ldznet/ldm.py").ldm
  extractor = features.Extractor(
      features.architecture(cfg), blocks=tuple(range(1, 17))
  )
  shapes = extractor.feature_shapes(384)
  want = (
      [(48, 320)] * 2
      + [(24, 640)] * 2
      + [(12, 1280)] * 2
      + [(6, 1280)]
      + [(12, 1280)] * 3
      + [(24, 640)] * 3
      + [(48, 320)] * 3
  )
  assert shapes == {k + 1: (s, s, c) for k, (s, c) in enumerate(want)}


def test_tiny_config_feature_shapes():
  """Spec 12: blocks 6, 8, 9, 10 are 2x2x128, block 7 is 1x1x128."""
  cfg = config_lib.load_config("configs/ldznet/ldm_tiny.py").ldm
  assert features.architecture(cfg).unet.num_attention_blocks == 16
  assert features.from_config(cfg).feature_shapes(64) == {
      6: (2, 2, 128),
      7: (1, 1, 128),
      8: (2, 2, 128),
      9: (2, 2, 128),
      10: (2, 2, 128),
  }


def micro_params():
  """Random micro params; one jitted init shared by the tests."""
  arch = features.architecture(micro.config().ldm)
  return frozen.jitted_init(arch, "")(jax.random.key(1))


def _micro_extractor(**kwargs):
  return features.Extractor(features.architecture(micro.config().ldm), **kwargs)


def test_capture_is_the_transformer_output_in_forward_order():
  """Captured blocks (early stop) == every SpatialTransformer output of a
  full forward, in call order; block 3 is the middle one."""
  arch = features.architecture(micro.config().ldm).unet
  model = unet.UNet(arch)
  rng = np.random.default_rng(0)
  z = jnp.asarray(rng.normal(size=(2, 4, 4, 4)), jnp.float32)
  t = jnp.array([3, 700])
  ctx = jnp.asarray(rng.normal(size=(2, 5, arch.context_dim)), jnp.float32)
  params = micro_params()["unet"]

  @jax.jit
  def run(params):
    _, state = model.apply(
        {"params": params},
        z,
        t,
        ctx,
        capture_intermediates=lambda m, _: isinstance(
            m, attention.SpatialTransformer
        ),
    )
    inter = state["intermediates"]
    paths = sorted(
        jax.tree_util.tree_leaves_with_path(inter),
        key=lambda kv: _forward_order(kv[0]),
    )
    full = [v for _, v in paths]
    early = model.apply({"params": params}, z, t, ctx, capture=(2, 4))
    return full, early

  full, early = run(params)
  assert arch.num_attention_blocks == len(full) == 7
  np.testing.assert_allclose(early[2], full[1], atol=1e-6)
  np.testing.assert_allclose(early[4], full[3], atol=1e-6)
  assert early[4].shape == (2, 2, 2, 16)
  with pytest.raises(ValueError, match=r"numbered 1\.\.7"):
    model.apply({"params": params}, z, t, ctx, capture=(8,))


def _forward_order(path):
  """Sort key of an intermediate's path: down blocks, mid, then up blocks."""
  names = [getattr(k, "key", "") for k in path]
  block = names[0]
  stage = {"down": 0, "mid": 1, "up": 2}[block.split("_")[0]]
  index = int(block.rsplit("_", 1)[1]) if stage != 1 else 0
  return stage, index, names[1]


def test_sharded_extraction_is_batch_independent():
  """Over 8 devices; an example's features follow its key, not its slot."""
  extractor = _micro_extractor(blocks=(3,))
  params = micro_params()
  rng = np.random.default_rng(0)
  images = rng.uniform(-1, 1, (8, 32, 32, 3)).astype(np.float32)
  tokens = rng.integers(0, 514, (8, 8)).astype(np.int32)
  keys = np.asarray(features.example_keys(0, np.arange(8)))
  mesh = sharding.make_mesh(None)
  assert mesh.devices.size == 8
  run = features.sharded(extractor, mesh)
  whole = run(params, images, tokens, keys)[3]
  assert whole.sharding.spec[0] == sharding.BATCH_AXES
  flipped = run(params, images[::-1], tokens[::-1], keys[::-1])[3]
  np.testing.assert_allclose(np.asarray(flipped)[::-1], whole, atol=1e-5)
  other = run(
      params, images, tokens, np.asarray(features.example_keys(1, np.arange(8)))
  )[3]
  assert not np.allclose(other, whole)


def test_timesteps_follow_the_keys():
  extractor = _micro_extractor(blocks=(3,))
  keys = np.asarray(features.example_keys(0, np.arange(64)))
  t = np.asarray(extractor.draw_timesteps(keys))
  assert np.all((t >= 300) & (t < 500)) and len(set(t.tolist())) > 10
  fixed = _with_timesteps(extractor, mode="fixed", value=999)
  assert np.all(fixed.draw_timesteps(keys) == 999)


def test_latents_are_scaled_by_the_configured_factor():
  """z * 0.18215 by default (SD v1); `ldm.scale_factor` replaces it."""
  cfg = micro.config().ldm
  assert features.from_config(cfg).scale_factor == 0.18215
  cfg.scale_factor = 1.0
  unit = features.from_config(cfg)
  sd = dataclasses.replace(unit, scale_factor=0.18215, posterior="mode")
  unit = dataclasses.replace(unit, posterior="mode")
  images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3))
  tokens = np.zeros((2, 8), np.int32)
  keys = np.asarray(features.example_keys(0, [0, 1]))
  params = micro_params()
  images = jnp.asarray(images, jnp.float32)
  z_unit = unit.encode(params, images, tokens, keys)[0]
  z_sd = sd.encode(params, images, tokens, keys)[0]
  np.testing.assert_allclose(z_sd, 0.18215 * np.asarray(z_unit), rtol=1e-6)


def _with_timesteps(extractor, **timesteps):
  return dataclasses.replace(
      extractor, timesteps=features.Timesteps(**timesteps)
  )


def test_bad_inputs_raise_clear_errors():
  extractor = _micro_extractor(blocks=(3,))
  params = ldm.abstract_params(extractor.config)
  with pytest.raises(ValueError, match="divisible by"):
    jax.eval_shape(
        extractor,
        params,
        jnp.zeros((1, 30, 30, 3)),
        jnp.zeros((1, 8), jnp.int32),
        jnp.zeros((1, 2), jnp.uint32),
    )
  with pytest.raises(ValueError, match="blocks are numbered 1..7"):
    _micro_extractor(blocks=(9,))
  with pytest.raises(ValueError, match="0-indexed"):
    features.Timesteps(mode="fixed", value=1000)
