"""LMR pieces: part permutation, paper-config sizes, init, loss masking."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.core import method as method_lib
from jaxvision.core import optim
from jaxvision.methods.lmr import build
from jaxvision.methods.lmr import losses
from jaxvision.methods.lmr import method as lmr
from jaxvision.methods.lmr import parts


def _ctx(config):
  mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("data",))
  return method_lib.stage_contexts(config, mesh)[0]


def _abstract_params(spec, overrides=()):
  config = config_lib.load_config(spec, list(overrides))
  return jax.eval_shape(lambda: lmr.init(_ctx(config), jax.random.key(0)))[
      "model"
  ]


def test_partition_covers_joints_and_inverts():
  p = parts.get("smpl6")
  assert sorted(p.part_to_smpl) == list(range(24))
  np.testing.assert_array_equal(p.part_to_smpl[p.smpl_to_part], np.arange(24))
  assert [len(j) for j in p.joints] == [4, 2, 5, 5, 4, 4]  # TEXT counts
  with pytest.raises(ValueError, match="exactly once"):
    parts.get({"root": (0, 1), "rest": (1, 2)})
  with pytest.raises(ValueError, match="Unknown partition"):
    parts.get("smpl7")


def _gru(inputs, hidden):
  # flax GRUCell: 3 input kernels with bias, 3 recurrent kernels, hn bias.
  return 3 * inputs * hidden + 3 * hidden * hidden + 4 * hidden


def test_paper_config_input_widths_and_param_count():
  params = _abstract_params("configs/lmr/lmr.py")
  width = lambda name: params[name]["temporal"]["cell0"]["ir"]["kernel"].shape[
      0
  ]
  # Spec 3.4-3.6: 2048 + 6 n_k + 10 (+ 24 root) per part.
  assert width("root_rnn") == 2082 and width("head_rnn") == 2094
  assert width("left_arm_rnn") == 2112 and width("right_leg_rnn") == 2106
  assert params["shape_mlp"]["fc0"]["kernel"].shape == (2202, 1024)
  assert width("camera_rnn") == 2205
  h = 1024
  expected = sum(
      _gru(w, h) + h * 6 * n + 6 * n
      for w, n in (
          (2082, 4),
          (2094, 2),
          (2112, 5),
          (2112, 5),
          (2106, 4),
          (2106, 4),
      )
  )
  expected += 2202 * h + h + h * h + h + h * 10 + 10  # shape MLP
  expected += _gru(2205, h) + h * 3 + 3  # camera GRU + head
  assert optim.count_params(params) == expected == 71_032_989


def test_no_root_ablation_drops_root_inputs():
  params = _abstract_params(
      "configs/lmr/lmr.py", ["model.lmr." "root_conditioning=False"]
  )
  kernel = params["head_rnn"]["temporal"]["cell0"]["ir"]["kernel"]
  assert kernel.shape[0] == 2094 - 24


def test_init_starts_at_the_mean_and_losses_mask_labels(tmp_path):
  config = config_lib.load_config(
      "configs/lmr/smoke.py", [f"assets.dir={tmp_path}"]
  )
  ctx = _ctx(config)
  params = jax.jit(lambda key: lmr.init(ctx, key))(jax.random.key(0))
  model = build.build_model(config)
  mean = build.mean_inputs(config)
  features = jax.random.normal(jax.random.key(1), (2, 8, 128))
  out = jax.jit(lambda p, x: model.apply({"params": p}, x, *mean)[-1])(
      params["model"], features
  )
  # Gain-0.01 residual heads: the first estimate stays near the mean.
  assert np.abs(out["rotmat"] - np.eye(3)).max() < 0.1
  assert np.abs(out["cam"] - np.array([0.9, 0, 0])).max() < 0.1
  # A batch without 3D labels: zero (not NaN) 3D loss, finite gradients.
  no_3d = jnp.zeros(2, bool)
  assert (
      losses.joints3d_loss(
          jnp.ones((2, 8, 14, 3)), jnp.zeros((2, 8, 14, 3)), no_3d
      )
      == 0.0
  )
  assert (
      losses.masked_mean(jnp.array([1.0, 3.0]), jnp.array([True, False])) == 1.0
  )
  grad = jax.grad(
      lambda r: losses.smpl_loss(
          r,
          jnp.zeros((1, 1, 10)),
          jnp.zeros((1, 1, 72)),
          jnp.zeros((1, 1, 10)),
          jnp.ones(1, bool),
          "l2norm_rotmat",
      )
  )(jnp.tile(jnp.eye(3), (1, 1, 24, 1, 1)))
  assert np.all(np.isfinite(grad))
  with pytest.raises(ValueError, match="smpl_form"):
    losses.smpl_loss(
        out["rotmat"],
        out["betas"],
        jnp.zeros((2, 8, 72)),
        out["betas"],
        no_3d,
        "l1",
    )
