"""torchvision-layout ResNet: parameter counts, feature shapes, padding."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.core import optim
from jaxvision.models import resnet


def _count(model, channels=3, size=64):
  x = jax.ShapeDtypeStruct((1, size, size, channels), jnp.float32)
  variables = jax.eval_shape(model.init, jax.random.key(0), x)
  return optim.count_params(variables["params"]), variables


def test_resnet18_parameter_counts_match_torchvision():
  # torchvision resnet18: 11,689,512 with fc; 11,176,512 without fc.
  assert _count(resnet.resnet18(num_classes=1000))[0] == 11_689_512
  assert _count(resnet.resnet18())[0] == 11_176_512


def test_resnet50_parameter_count_matches_torchvision():
  assert _count(resnet.resnet50(num_classes=1000))[0] == 25_557_032


def test_feature_pyramid_shapes_at_monodepth_resolution():
  model = resnet.resnet18()
  x = jax.ShapeDtypeStruct((2, 256, 320, 3), jnp.float32)
  variables = jax.eval_shape(model.init, jax.random.key(0), x)
  feats = jax.eval_shape(model.apply, variables, x)
  shapes = [f.shape for f in feats]
  assert shapes == [
      (2, 128, 160, 64),
      (2, 64, 80, 64),
      (2, 32, 40, 128),
      (2, 16, 20, 256),
      (2, 8, 10, 512),
  ]
  assert model.feature_channels == (64, 64, 128, 256, 512)
  assert "downsample_0" in variables["params"]["layer2_0"]
  assert "mean" in variables["batch_stats"]["bn1"]


def test_symmetric_padding_keeps_centre_aligned():
  # An impulse at the exact centre of a stride-2 stem stays centred, which
  # padding="SAME" (asymmetric at stride 2) would shift by one pixel.
  model = resnet.ResNet(blocks=(1, 1, 1, 1), widths=(1, 1, 1, 1, 1))
  x = jnp.zeros((1, 9, 9, 1)).at[0, 4, 4, 0].set(1.0)
  variables = model.init(jax.random.key(0), x)
  params = jax.tree.map(jnp.ones_like, variables["params"])
  stem = model.apply(
      {"params": params, "batch_stats": variables["batch_stats"]}, x
  )[0]
  response = np.asarray(stem[0, :, :, 0])
  assert response.shape == (5, 5)
  np.testing.assert_allclose(response, response[::-1, ::-1], atol=1e-6)
