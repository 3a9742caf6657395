"""LD-ZNet / ZNet / RGBNet architecture: parameter counts, structure, init."""

import dataclasses

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import method as core_method
from jaxvision.core import optim
from jaxvision.methods.ldznet import forward as forward_lib
from jaxvision.methods.ldznet import model as model_lib

METHOD = methods.get("ldznet")


def _ctx(config):
  """The context of the config's last stage (the segmentation training)."""
  mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("data",))
  return core_method.stage_contexts(config, mesh)[-1]


def _abstract_roles(path):
  config = config_lib.load_config(path)
  return jax.eval_shape(lambda: METHOD.init(_ctx(config), jax.random.key(0)))


@pytest.mark.parametrize(
    "variant,expected",
    [
        # Spec 3.4-3.5 / 8: ZNet 859,512,321 + 55 (head); LD-ZNet adds
        # 5 x 6,557,440 (CrossAttn_ldm + LN_sd) + 4 x 6,744,320 (12x12 pools)
        # + 6,606,080 (6x6 pool) = 925,882,936, the chapter's "925M".
        ("ldznet", 925_882_936),
        ("znet", 859_512_376),
    ],
)
def test_paper_trainable_parameter_counts(variant, expected):
  roles = _abstract_roles(f"configs/ldznet/ldznet.py:{variant}")
  assert optim.count_params(roles["net"]) == expected
  frozen = {"vae": 83_653_863, "text": 123_060_480}
  if variant == "ldznet":
    frozen["unet"] = 859_520_964
  assert {k: optim.count_params(v) for k, v in roles["ldm"].items()} == frozen


def test_paper_attention_pools_and_injected_blocks():
  roles = _abstract_roles("configs/ldznet/ldznet.py")
  net = roles["net"]
  assert sorted(k for k in net if k.startswith("pool_")) == [
      "pool_10",
      "pool_6",
      "pool_7",
      "pool_8",
      "pool_9",
  ]
  # HW + 1 tokens at 384 px: 12x12 for blocks 6, 8-10; 6x6 for the middle.
  assert net["pool_6"]["positional_embedding"].shape == (145, 1280)
  assert net["pool_7"]["positional_embedding"].shape == (37, 1280)
  injected = [
      path
      for path, _ in jax.tree_util.tree_flatten_with_path(net["unet"])[0]
      if "attn_ldm" in jax.tree_util.keystr(path)
  ]
  # 5 blocks x (to_q, to_k, to_v, to_out_0 kernel + bias).
  assert len(injected) == 25


@pytest.fixture(scope="module")
def tiny():
  config = config_lib.load_config("configs/ldznet/smoke.py")
  ctx = _ctx(config)
  roles = jax.jit(lambda r: METHOD.init(ctx, r))(jax.random.key(0))
  return config, roles


def test_tiny_feature_shapes_and_pool_tokens(tiny):
  config, roles = tiny
  ext = forward_lib.extractor(config, training=True)
  assert ext.config.unet.num_attention_blocks == 16
  shapes = ext.feature_shapes(64)
  assert shapes == {
      6: (2, 2, 128),
      7: (1, 1, 128),
      8: (2, 2, 128),
      9: (2, 2, 128),
      10: (2, 2, 128),
  }
  pool = model_lib.AttentionPool(4, (2, 2))
  feats = jax.random.normal(jax.random.key(1), (3, 2, 2, 128))
  tokens = pool.apply({"params": roles["net"]["pool_6"]}, feats)
  assert tokens.shape == (3, 5, 128)
  # Another grid: the positional embedding is resized, the mean token kept.
  bigger = pool.apply(
      {"params": roles["net"]["pool_6"]},
      jax.random.normal(jax.random.key(2), (1, 3, 3, 128)),
  )
  assert bigger.shape == (1, 10, 128)


def test_znet_unet_starts_from_the_ldm_unet(tiny):
  _, roles = tiny
  net_unet, ldm_unet = roles["net"]["unet"], roles["ldm"]["unet"]
  np.testing.assert_array_equal(
      net_unet["down_blocks_1"]["resnets_0"]["conv1"]["kernel"],
      ldm_unet["down_blocks_1"]["resnets_0"]["conv1"]["kernel"],
  )
  # Pitfall 10: the 1-channel output conv is channel 0 of SD's.
  np.testing.assert_array_equal(
      net_unet["conv_out"]["kernel"], ldm_unet["conv_out"]["kernel"][..., :1]
  )
  np.testing.assert_array_equal(
      net_unet["conv_out"]["bias"], ldm_unet["conv_out"]["bias"][:1]
  )
  attn = net_unet["down_blocks_2"]["attentions_1"]["transformer_blocks_0"]
  assert "attn_ldm" in attn and "norm_sd" in attn
  assert float(jnp.std(attn["attn_ldm"]["to_q"]["kernel"])) == pytest.approx(
      0.02, rel=0.1
  )


def test_segment_stage_starts_from_the_pretrained_ldm_unet(tiny):
  config, roles = tiny
  pretrained = jax.tree.map(lambda x: x + 1.0, roles["ldm"])
  params = {"net": roles["net"], "ldm": pretrained}
  for variant in ("ldznet", "znet"):
    ctx = _ctx(config_lib.load_config(f"configs/ldznet/smoke.py:{variant}"))
    pretraining = dataclasses.replace(
        ctx,
        stage=ml_collections.ConfigDict(dict(name="ldm_unet", kind="ldm_unet")),
    )
    out = METHOD.transition(pretraining, ctx, params)
    np.testing.assert_array_equal(
        out["net"]["unet"]["up_blocks_1"]["resnets_2"]["conv2"]["kernel"],
        pretrained["unet"]["up_blocks_1"]["resnets_2"]["conv2"]["kernel"],
    )
    np.testing.assert_array_equal(
        out["net"]["unet"]["conv_out"]["bias"],
        pretrained["unet"]["conv_out"]["bias"][:1],
    )
    # Only LD-ZNet keeps running the LDM UNet in the segment stage.
    assert ("unet" in out["ldm"]) == (variant == "ldznet")
    assert METHOD.transition(ctx, ctx, params) is params


def _batch(config, n=2, seed=0):
  rng = np.random.default_rng(seed)
  size, length = config.ldm.image_size, config.ldm.text_len
  return (
      rng.uniform(-1, 1, (n, size, size, 3)).astype(np.float32),
      rng.integers(0, 300, (n, length)).astype(np.int32),
      np.asarray(
          jax.random.key_data(jax.random.split(jax.random.key(seed), n))
      ),
  )


def test_ldm_branch_gets_exactly_zero_gradient(tiny):
  config, roles = tiny
  forward = forward_lib.make_forward(config, training=True)
  images, tokens, keys = _batch(config)

  def loss(net, ldm):
    return jnp.mean(forward(net, ldm, images, tokens, keys) ** 2)

  net_grads, ldm_grads = jax.grad(loss, argnums=(0, 1))(
      roles["net"], roles["ldm"]
  )
  assert all(float(jnp.abs(g).max()) == 0.0 for g in jax.tree.leaves(ldm_grads))
  pool_grads = jax.tree.leaves(net_grads["pool_8"])
  assert any(float(jnp.abs(g).max()) > 0 for g in pool_grads)


@pytest.mark.extended
def test_concat_variant_starts_as_znet():
  """The zero-initialised fusion conv makes LD-ZNet-concat == ZNet at init."""
  outs = {}
  for variant in ("concat", "znet"):
    config = config_lib.load_config(f"configs/ldznet/smoke.py:{variant}")
    ctx = _ctx(config)
    roles = jax.jit(lambda r, c=ctx: METHOD.init(c, r))(jax.random.key(0))
    forward = forward_lib.make_forward(config, training=False)
    outs[variant] = forward(roles["net"], roles["ldm"], *_batch(config))
  np.testing.assert_allclose(outs["concat"], outs["znet"], atol=1e-5)


@pytest.mark.extended
def test_rgbnet_has_a_stem_and_full_resolution_logits():
  config = config_lib.load_config("configs/ldznet/smoke.py:rgbnet")
  ctx = _ctx(config)
  roles = jax.jit(lambda r: METHOD.init(ctx, r))(jax.random.key(0))
  assert "rgb_stem" in roles["net"] and "unet" not in roles["ldm"]
  logits = forward_lib.make_forward(config, training=False)(
      roles["net"], roles["ldm"], *_batch(config)
  )
  assert logits.shape == (2, 64, 64)


def test_bad_inputs_are_clear_errors(tiny):
  config, roles = tiny
  forward = forward_lib.make_forward(config, training=False)
  images, tokens, keys = _batch(config)
  with pytest.raises(ValueError, match="divisible by 64"):
    forward(roles["net"], roles["ldm"], images[:, :60], tokens, keys)
  with pytest.raises(ValueError, match="ldm.fusion='add': use one of"):
    model_lib.NetConfig(unet=forward_lib.net_config(config).unet, fusion="add")
