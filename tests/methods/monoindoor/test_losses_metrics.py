"""Loss pieces and pose metrics against hand-computed values."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.evaluators import depth as depth_eval
from jaxvision.methods.monoindoor import geometry
from jaxvision.methods.monoindoor import losses
from jaxvision.methods.monoindoor import pose_metrics
from jaxvision.methods.monoindoor import resnet_weights


def test_min_reprojection_with_automask():
  errors = jnp.array([[[[0.3, 0.5]]], [[[0.4, 0.2]]]])  # [2,1,1,2]
  identity = jnp.array([[[[0.1, 0.9]]], [[[0.6, 0.7]]]])
  out = losses.reprojection(errors, identity, "min")
  np.testing.assert_allclose(out.ravel(), [0.1, 0.2])
  out = losses.reprojection(errors, identity, "mean")
  np.testing.assert_allclose(out.ravel(), [0.0, 0.3])  # pixel 0 masked
  out = losses.reprojection(errors, None, "sum")
  np.testing.assert_allclose(out.ravel(), [0.8, 0.6])


def test_compose_multiplies_in_order():
  a = geometry.transformation_from_parameters(
      jnp.array([[0.1, 0, 0]]), jnp.array([[1.0, 0, 0]])
  )
  b = geometry.transformation_from_parameters(
      jnp.array([[0, 0.2, 0]]), jnp.array([[0, 1.0, 0]])
  )
  steps = jnp.stack([a, b], axis=1)
  np.testing.assert_allclose(losses.compose(steps), a @ b, atol=1e-6)


def test_depth_consistency_is_zero_for_a_consistent_scene():
  # A fronto-parallel plane at z=2 seen after a pure x-translation keeps
  # depth 2 in the source camera: both forms give zero loss.
  k = jnp.array([[[20.0, 0, 7.5], [0, 20.0, 7.5], [0, 0, 1]]])
  depth = jnp.full((1, 16, 16, 1), 2.0)
  pose = geometry.transformation_from_parameters(
      jnp.zeros((1, 3)), jnp.array([[0.1, 0.0, 0.0]])
  )
  for form in ("text", "sc_depth"):
    value = losses.depth_consistency(depth, depth, pose, k, form)
    assert float(value) < 1e-5
  value = losses.depth_consistency(depth, 2 * depth, pose, k, "sc_depth")
  np.testing.assert_allclose(value, 1 / 3, rtol=1e-4)


def test_median_scaling_protocol_makes_scale_irrelevant():
  gt = np.random.default_rng(0).uniform(1, 5, (8, 8))
  proto = depth_eval.Protocol(1e-3, 10.0, None, median_scaling=True)
  a = depth_eval.evaluate_image(gt * 0.01, gt, proto)
  assert a["abs_rel"] < 1e-9 and a["a1"] == 1.0


def test_umeyama_recovers_similarity_and_ate_is_zero():
  rng = np.random.default_rng(0)
  gt = rng.normal(size=(20, 3))
  rot = np.asarray(geometry.rodrigues(jnp.array([0.3, -0.2, 0.5])))
  pred = (gt @ rot.T) * 0.5 + np.array([1.0, 2.0, 3.0])
  s, r, t = pose_metrics.umeyama(pred, gt)
  np.testing.assert_allclose(s, 2.0, rtol=1e-6)
  assert pose_metrics.ate(pred, gt) < 1e-6
  noisy = gt + np.array([[0.1, 0, 0], [-0.1, 0, 0]] * 10)
  # Alignment can only lower the 0.1 m RMSE of the unaligned error.
  assert 0.05 < pose_metrics.ate(gt, noisy) <= 0.1


def test_trajectory_metrics_on_exact_relative_poses():
  rng = np.random.default_rng(1)
  poses = [np.eye(4)]
  for _ in range(6):
    step = np.asarray(
        geometry.transformation_from_parameters(
            jnp.asarray(rng.normal(0, 0.05, (1, 3))),
            jnp.asarray(rng.normal(0, 0.1, (1, 3))),
        )
    )[0]
    poses.append(poses[-1] @ step)
  poses = np.stack(poses)
  relative = np.linalg.inv(poses[1:]) @ poses[:-1]
  out = pose_metrics.evaluate_trajectory(relative, poses)
  assert out["ate"] < 1e-6 and out["rpe_trans"] < 1e-6
  assert out["rpe_rot_deg"] < 1e-3


def _fake_torchvision_resnet18(div=8):
  """A random state_dict with torchvision resnet18 names, widths / div."""
  rng = np.random.default_rng(0)
  w = [64 // div, 64 // div, 128 // div, 256 // div, 512 // div]
  state = {"conv1.weight": rng.normal(size=(w[0], 3, 7, 7))}

  def bn(prefix, c):
    state.update(
        {
            f"{prefix}.weight": rng.normal(size=c),
            f"{prefix}.bias": rng.normal(size=c),
            f"{prefix}.running_mean": rng.normal(size=c),
            f"{prefix}.running_var": rng.uniform(1, 2, c),
            f"{prefix}.num_batches_tracked": np.array(5),
        }
    )

  bn("bn1", w[0])
  cin = w[0]
  for layer in range(4):
    for block in range(2):
      p, c = f"layer{layer + 1}.{block}", w[layer + 1]
      state[f"{p}.conv1.weight"] = rng.normal(size=(c, cin, 3, 3))
      bn(f"{p}.bn1", c)
      state[f"{p}.conv2.weight"] = rng.normal(size=(c, c, 3, 3))
      bn(f"{p}.bn2", c)
      if cin != c:
        state[f"{p}.downsample.0.weight"] = rng.normal(size=(c, cin, 1, 1))
        bn(f"{p}.downsample.1", c)
      cin = c
  state["fc.weight"] = rng.normal(size=(10, cin))
  state["fc.bias"] = rng.normal(size=10)
  return state, w


def test_torchvision_weights_load_into_both_encoders(tmp_path):
  from jaxvision.models import resnet  # pylint: disable=g-import-not-at-top

  state, widths = _fake_torchvision_resnet18()
  enc = resnet.resnet18(widths=widths)
  rgb = enc.init(jax.random.key(0), jnp.zeros((1, 32, 32, 3)))
  pair = enc.init(jax.random.key(0), jnp.zeros((1, 32, 32, 8)))
  variables = {
      "params": {
          "depth_encoder": rgb["params"],
          "pose_encoder": pair["params"],
      },
      "batch_stats": {
          "depth_encoder": rgb["batch_stats"],
          "pose_encoder": pair["batch_stats"],
      },
  }
  for name in ("depth_encoder", "pose_encoder"):
    variables = resnet_weights.load_encoder(
        variables, name, state, "imagenet_cyclic"
    )
  w = state["conv1.weight"].transpose(2, 3, 1, 0)
  np.testing.assert_allclose(
      variables["params"]["depth_encoder"]["conv1"]["kernel"], w
  )
  pose_k = np.asarray(variables["params"]["pose_encoder"]["conv1"]["kernel"])
  np.testing.assert_allclose(pose_k[:, :, 4], w[:, :, 1] * 3 / 8)
  np.testing.assert_allclose(pose_k[:, :, 7], w[:, :, 1] * 3 / 8)
  np.testing.assert_allclose(
      variables["batch_stats"]["pose_encoder"]["layer2_0"]["downsample_1"][
          "var"
      ],
      state["layer2.0.downsample.1.running_var"],
  )
  six = resnet_weights.first_conv(w, 6, "imagenet_cyclic", None)
  np.testing.assert_allclose(six[:, :, 3:], w / 2)
  # Round trip through the .npz file the configs point at.
  np.savez(tmp_path / "r18.npz", **state)
  with np.load(tmp_path / "r18.npz") as archive:
    assert set(archive) == set(state)
