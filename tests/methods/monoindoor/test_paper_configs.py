"""Paper configs build and have the Monodepth2 / ResNet-18 sizes."""

import jax
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.core import method as method_lib
from jaxvision.core import optim
from jaxvision.methods.monoindoor import method as method_mod

MESH = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("data",))


def _params(arg, overrides=()):
  config = config_lib.load_config(
      f"configs/monoindoor/monoindoor_pp.py:{arg}",
      ["model.encoder.pretrained=none", *overrides],
  )
  ctx = method_lib.stage_contexts(config, MESH)[0]
  return (
      config,
      jax.eval_shape(lambda: method_mod.init(ctx, jax.random.key(0)))[0][
          "model"
      ],
  )


def test_nyu_parameter_counts():
  config, params = _params("nyu")
  counts = {k: optim.count_params(v) for k, v in params.items()}
  # torchvision ResNet-18 without fc.
  assert counts["depth_encoder"] == 11_176_512
  # Monodepth2 DepthDecoder with num_ch_dec [16, 32, 64, 128, 256].
  assert counts["depth_decoder"] == 3_152_724
  # 8-channel CoordConv conv1: 5 extra input channels of 64 7x7 filters.
  assert counts["pose_encoder"] == 11_176_512 + 64 * 7 * 7 * 5
  # Monodepth2 PoseDecoder with a 6-number output, one per pose step.
  assert counts["pose_decoders_0"] == counts["pose_decoders_1"] == 1_313_030
  assert "scale_net" in counts and "pose_decoders_2" not in counts
  assert config.stages[1].optim.lr == pytest.approx(1e-5)
  assert config.eval.crop == "nyu_eigen" and config.eval.max_depth == 10


def test_euroc_config_scale_bins_and_baseline_ablation():
  config, params = _params("euroc")
  assert config.data.image_size == [256, 512]
  assert config.eval.max_depth == 20 and config.loss.depth_consistency_weight
  head = params["scale_net"]["head"]["kernel"]
  assert head.shape == (128, 21)  # probabilistic bins 0..20
  _, base = _params(
      "nyu",
      [
          "model.residual_pose.enabled=False",
          "model.depth.factorization=False",
          "model.pose.coordconv=none",
      ],
  )
  assert "scale_net" not in base and "pose_decoders_1" not in base
  assert base["pose_encoder"]["conv1"]["kernel"].shape == (7, 7, 6, 64)


def test_missing_imagenet_weights_is_a_clear_error():
  config = config_lib.load_config("configs/monoindoor/monoindoor_pp.py:nyu")
  ctx = method_lib.stage_contexts(config, MESH)[0]
  with pytest.raises(FileNotFoundError, match="convert_pth"):
    jax.eval_shape(lambda: method_mod.init(ctx, jax.random.key(0)))
