"""Shapes, heads, ablation knobs and parameter counts of MonoIndoor++."""

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image
import pytest

from jaxvision import config_lib
from jaxvision.core import method as method_lib
from jaxvision.core import optim
from jaxvision.core import state as state_lib
from jaxvision.methods.monoindoor import method as method_mod
from jaxvision.methods.monoindoor import model as model_lib
from jaxvision.methods.monoindoor import networks

MESH = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("data",))


def _ctx(spec, overrides=()):
  config = config_lib.load_config(spec, list(overrides))
  return method_lib.stage_contexts(config, MESH)[0]


def _abstract_step(ctx):
  """Traces init + one train step under eval_shape (no compilation)."""
  params, model_state = jax.eval_shape(
      lambda: method_mod.init(ctx, jax.random.key(0))
  )
  txs, _ = optim.per_role(ctx.stage.optim, list(params), 10)
  height, width = ctx.config.data.image_size
  batch = {
      "frames": jax.ShapeDtypeStruct((2, 3, height, width, 3), jnp.float32),
      "K": jax.ShapeDtypeStruct((2, 3, 3), jnp.float32),
  }
  batch["frames_aug"] = batch["frames"]

  def run(p, s, b):
    state = state_lib.create(p, txs, jax.random.key(0), model_state=s)
    return method_mod.make_train_step(ctx)(state, b, jax.random.key(1))

  return jax.eval_shape(run, params, model_state, batch)


def test_forward_shapes():
  ctx = _ctx("configs/monoindoor/smoke.py")
  module = method_mod._module(ctx)
  params, model_state = jax.eval_shape(
      lambda: method_mod.init(ctx, jax.random.key(0))
  )
  frames = jax.ShapeDtypeStruct((2, 3, 32, 64, 3), jnp.float32)
  k = jax.ShapeDtypeStruct((2, 3, 3), jnp.float32)
  out = jax.eval_shape(
      lambda p, s, f, kk: module.apply(
          state_lib.merge_variables(p["model"], s["model"]), f, kk
      ),
      params,
      model_state,
      frames,
      k,
  )
  assert out["pose_steps"].shape == (2, 2, 2, 4, 4)
  assert out["scale"].shape == (2,)
  assert out["source_depth"].shape == (2, 2, 32, 64, 1)
  for s in range(4):
    assert out["sigma"][s].shape == (2, 32 // 2**s, 64 // 2**s, 1)
    assert out["depth"][s].shape == (2, 32, 64, 1)
  conv1 = params["model"]["pose_encoder"]["conv1"]["kernel"]
  assert conv1.shape[2] == 8  # CoordConv: 2 RGB frames + (i, j)


@pytest.mark.parametrize("probabilistic", [True, False])
def test_scale_head_in_range(probabilistic):
  net = networks.ScaleNet(
      d_max=10,
      qk_dim=8,
      v_dim=8,
      num_blocks=1,
      hidden=(16, 8),
      probabilistic=probabilistic,
  )
  x = jax.random.normal(jax.random.key(0), (3, 2, 4, 16)) * 50
  variables = net.init(jax.random.key(1), x)
  scale = net.apply(variables, x)
  assert scale.shape == (3,)
  assert np.all((np.asarray(scale) >= 0.1) & (np.asarray(scale) <= 10))


def test_attention_starts_as_identity():
  block = networks.RelPosSelfAttention(qk_dim=4, v_dim=4, max_hw=(4, 4))
  x = jax.random.normal(jax.random.key(0), (1, 3, 4, 6))
  out = block.apply(block.init(jax.random.key(1), x), x)
  np.testing.assert_allclose(out, x, atol=1e-6)


def test_depth_factorization_multiplies_relative_depth():
  cfg = model_lib.ModelConfig(factorization=True)
  module = model_lib.MonoIndoor(cfg)
  sigma = jnp.array([0.0, 1.0]).reshape(2, 1, 1, 1)
  depth = module.sigma_to_depth(sigma, jnp.array([4.0, 4.0]))
  np.testing.assert_allclose(depth.ravel(), [4.0, 0.04], rtol=1e-5)


# Table 5.8 rows (Monodepth2, RP, RP+DF, RP+DF+CC), then the other knobs.
TABLE_5_8 = [
    [
        "model.residual_pose.enabled=False",
        "model.depth.factorization=False",
        "model.pose.coordconv=none",
        "loss.depth_consistency_weight=0.0",
    ],
    ["model.depth.factorization=False", "model.pose.coordconv=none"],
    ["model.pose.coordconv=none"],
    [],
]
EXTRA = [
    [
        "model.residual_pose.final_warp=sequential",
        "model.residual_pose.num_steps=2",
        "model.residual_pose.detach_input=True",
    ],
    [
        "model.depth.factorization_mode=max_depth",
        "model.scale.probabilistic=False",
        "model.scale.attention=False",
    ],
    ["model.scale.backbone=resnet18_convbnrelu", "model.scale.rel_pos=False"],
    [
        "model.scale.backbone=resnet18_resblocks",
        "model.scale.stop_grad_features=True",
    ],
    ["loss.reprojection_reduce=mean", "loss.depth_consistency_weight=0.0"],
    [
        "loss.reprojection_reduce=sum",
        "loss.automask=False",
        "loss.depth_consistency_form=sc_depth",
    ],
    ["model.pose.coord_init=zeros", "model.depth.scales=[0]"],
    ["model.pose.coordconv=features"],
    ["model.pose.coordconv=both", "model.pose.coord_init=random"],
]


@pytest.mark.extended
@pytest.mark.parametrize(
    "overrides",
    TABLE_5_8 + EXTRA,
    ids=lambda o: ",".join(x.split(".")[-1] for x in o) or "monoindoor_pp",
)
def test_every_ablation_knob_traces_a_train_step(overrides):
  ctx = _ctx("configs/monoindoor/smoke.py", overrides)
  state, metrics = _abstract_step(ctx)
  assert metrics["loss"].shape == ()
  assert "depth_encoder" in state.params["model"]
  assert "depth_encoder" in state.model_state["model"]["batch_stats"]


def test_unknown_knob_value_is_a_clear_error():
  ctx = _ctx("configs/monoindoor/smoke.py", ["model.pose.coordconv=inputs"])
  with pytest.raises(ValueError, match="model.pose.coordconv"):
    method_mod._module(ctx)


def test_predict_writes_colour_mapped_depth(tmp_path):
  ctx = _ctx("configs/monoindoor/smoke.py")
  params, model_state = method_mod.init(ctx, jax.random.key(0))
  state = state_lib.create(
      params, {}, jax.random.key(0), model_state=model_state
  )
  image = np.random.default_rng(0).integers(0, 255, (40, 50, 3), np.uint8)
  Image.fromarray(image).save(tmp_path / "frame.png")
  out = method_mod.predict(
      ctx,
      state,
      ["--image", str(tmp_path / "frame.png"), "--out", str(tmp_path / "pred")],
  )
  png = np.asarray(Image.open(out["depth_pngs"][0]))
  assert png.shape == (32, 64, 3) and png.std() > 0
  depth = np.load(tmp_path / "pred" / "frame_depth.npy")
  assert depth.shape == (32, 64) and np.all(depth > 0)
  with pytest.raises(FileNotFoundError, match="does not exist"):
    method_mod.predict(ctx, state, ["--image", "nope.png", "--out", "x"])
