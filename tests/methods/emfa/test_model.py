"""EMA-Net shapes, parameter counts, shared ViT, aggregation readings, npz."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.core import checkpoint
from jaxvision.core import method as method_lib
from jaxvision.core import optim
from jaxvision.core import sharding
from jaxvision.methods.emfa import data
from jaxvision.methods.emfa import method
from jaxvision.methods.emfa import model as model_lib
from jaxvision.methods.emfa import pretrained

# ViT-B/16 at 224 px without classifier head: patch embedding 590,592, class
# token 768, position table 197 x 768, 12 blocks of 7,087,872, final LN 1,536.
VIT_B16_ENCODER = 85_798_656


def _ctx(path, overrides=()):
  config = config_lib.load_config(
      path, ["model.backbone.init_path=''", *overrides]
  )
  return method_lib.stage_contexts(config, sharding.make_mesh(None))[0]


def _abstract_params(ctx):
  return jax.eval_shape(lambda: method.init(ctx, jax.random.key(0)))


def test_paper_backbone_is_vit_b16_and_shared():
  params = _abstract_params(_ctx("configs/emfa/ema_net.py:task=shooting"))
  vit = params["backbone"]["backbone"]
  feature = sum(optim.count_params(vit[k]) for k in ("feature_0", "feature_1"))
  assert optim.count_params(vit) - feature == VIT_B16_ENCODER
  assert vit["pos_embedding"].shape == (1, 197, 768)
  assert len(vit["Transformer"]) == 13  # 12 blocks + encoder_norm
  motion = params["model"]["motion"]["Transformer"]
  assert len(motion) == 7  # L = 6 blocks + the final Norm of Eq. 2.5
  # Two ViTs (share=False) hold exactly one more ViT's parameters.
  separate = _abstract_params(
      _ctx(
          "configs/emfa/ema_net.py:task=shooting",
          ["model.backbone.share=False"],
      )
  )
  assert sorted(separate["backbone"]) == ["energy_backbone", "mask_backbone"]
  assert optim.count_params(separate["backbone"]) == 2 * optim.count_params(
      params["backbone"]
  )


def test_paper_feature_shapes():
  ctx = _ctx("configs/emfa/ema_net.py:task=all")
  net = method.build(ctx.config)
  params = method.merge_roles(_abstract_params(ctx))
  inputs = jax.eval_shape(lambda: method.dummy_inputs(ctx.config, batch=2))
  assert inputs[1].shape == (2, 16, 224, 224)
  logits, feats = jax.eval_shape(
      lambda p, *x: net.apply({"params": p}, *x, return_features=True),
      params,
      *inputs,
  )
  assert logits.shape == (2, 6)
  assert feats["energy"].shape == (2, 768)
  assert feats["frames"].shape == (2, 16, 768)
  assert feats["motion"].shape == (2, 768)
  assert feats["fused"].shape == (2, 768)


@pytest.mark.parametrize(
    "task,classes",
    [("shooting", 3), ("dribbling", 3), ("all", 6), ("shooting_gk", 4)],
)
def test_task_label_sets(task, classes):
  config = _ctx(f"configs/emfa/ema_net.py:task={task}").config
  assert len(data.class_names(config)) == classes
  assert config.data.include_goalkeeper_tracklets == (task == "shooting_gk")


@pytest.mark.parametrize(
    "variant", ["energy_only", "motion_only", "lstm", "gru", "naive"]
)
def test_table_2_9_variants_build(variant):
  paper = _ctx(f"configs/emfa/ema_net.py:task=shooting,variant={variant}")
  m = paper.config.model
  # The same knobs on the small smoke model (a ViT-B/16 trace per variant is
  # too slow for CI).
  roles = _abstract_params(
      _ctx(
          "configs/emfa/smoke.py",
          [
              f"model.fusion={m.fusion}",
              f"model.use_energy={m.use_energy}",
              f"model.motion.kind={m.motion.kind}",
          ],
      )
  )
  assert ("motion" in roles["model"]) == (variant != "energy_only")
  assert ("fuse" in roles["model"]) == (variant in ("lstm", "gru", "naive"))
  assert sorted(roles["backbone"]) == ["backbone"]


def test_inconsistent_ablation_is_a_clear_error():
  with pytest.raises(ValueError, match="needs both energy and motion"):
    _abstract_params(_ctx("configs/emfa/smoke.py", ["model.motion.kind=none"]))
  with pytest.raises(ValueError, match="Did you mean 'channel'"):
    _abstract_params(_ctx("configs/emfa/smoke.py", ["model.ema.axis=chanel"]))


@pytest.mark.parametrize("axis", ["channel", "batch"])
def test_batch_axis_aggregation_mixes_clips(axis):
  agg = model_lib.EnergyMotionAggregation(width=8, axis=axis)
  rng = np.random.default_rng(0)
  f_e, f_m = rng.normal(size=(3, 8)), rng.normal(size=(3, 8))
  f_e, f_m = np.stack([f_e, f_e]), np.stack([f_m, f_m])
  f_e[1, 2] += 5  # change only the third clip of the second batch
  f_m[1, 2] -= 3
  params = agg.init(jax.random.key(0), f_e[0], f_m[0])
  out = [
      agg.apply(params, jnp.asarray(e), jnp.asarray(m))
      for e, m in zip(f_e, f_m)
  ]
  changed = not np.allclose(out[0][0], out[1][0], atol=1e-6)
  assert changed == (axis == "batch")


def _google_npz(vit_params):
  """Our FeatureViT params written with the google-research npz names."""
  # pylint: disable=protected-access
  renames = {v: k for k, v in pretrained._BLOCK_RENAMES.items()}
  out = {}
  for path, value in pretrained._flat(vit_params):
    if path.startswith("feature_"):
      continue
    parts = path.split("/")
    if len(parts) > 2 and parts[1].startswith("encoderblock_"):
      parts[2] = renames[parts[2]]
    key = "/".join(parts)
    if key == "pos_embedding":
      key = "Transformer/posembed_input/pos_embedding"
    out[key] = np.asarray(value)
  out["head/kernel"] = np.zeros((4, 2), np.float32)
  return out


def test_pretrained_npz_round_trip(tmp_path):
  ctx = _ctx("configs/emfa/smoke.py")
  rng = np.random.default_rng(0)
  source = jax.tree.map(
      lambda x: rng.normal(size=x.shape).astype(x.dtype), _abstract_params(ctx)
  )
  npz = _google_npz(source["backbone"]["backbone"])
  np.savez(tmp_path / "vit.npz", **npz)
  loaded = pretrained.load_into(
      {
          "backbone": jax.tree.map(
              np.zeros_like, source["backbone"]["backbone"]
          ),
          "head": {"bias": np.ones(3)},
      },
      str(tmp_path / "vit.npz"),
  )
  np.testing.assert_array_equal(loaded["head"]["bias"], np.ones(3))
  loaded = loaded["backbone"]
  assert not np.any(loaded["feature_1"]["kernel"])  # not in the file
  np.testing.assert_array_equal(
      loaded["Transformer"]["encoderblock_1"]["MlpBlock_0"]["Dense_0"][
          "kernel"
      ],
      npz["Transformer/encoderblock_1/MlpBlock_3/Dense_0/kernel"],
  )
  np.testing.assert_array_equal(
      loaded["pos_embedding"], npz["Transformer/posembed_input/pos_embedding"]
  )
  # A table of another grid is resized in 2-D, class token kept.
  grid = np.asarray(npz["Transformer/posembed_input/pos_embedding"])
  bigger = dict(npz)
  bigger["Transformer/posembed_input/pos_embedding"] = np.concatenate(
      [
          grid[:, :1],
          np.repeat(
              np.repeat(grid[0, 1:].reshape(4, 4, -1), 2, 0), 2, 1
          ).reshape(1, 64, -1),
      ],
      1,
  )
  resized = pretrained.convert(bigger, source["backbone"]["backbone"])
  assert resized["pos_embedding"].shape == (1, 17, 64)
  np.testing.assert_array_equal(resized["pos_embedding"][:, 0], grid[:, 0])
  del npz["Transformer/encoder_norm/scale"]
  with pytest.raises(checkpoint.CheckpointMismatchError, match="encoder_norm"):
    pretrained.convert(npz, source["backbone"]["backbone"])
  with pytest.raises(FileNotFoundError, match="init_path"):
    _abstract_params(
        _ctx("configs/emfa/smoke.py", ["model.backbone.init_path=/nope.npz"])
    )
