"""VGG trunks: torchvision-like shapes, the dropped last pool, parameter counts."""

import jax
import jax.numpy as jnp
import pytest

from jaxvision.core import optim
from jaxvision.models import vgg


def _shapes(name, size, drop_last_pool=True):
  net = vgg.build(name, drop_last_pool=drop_last_pool)
  x = jax.ShapeDtypeStruct((2, size, size, 3), jnp.float32)
  variables = jax.eval_shape(net.init, jax.random.key(0), x)
  out = jax.eval_shape(lambda v, x: net.apply(v, x), variables, x)
  return variables, out.shape


def test_vgg13_drops_only_the_last_pool():
  variables, shape = _shapes("vgg13", 224)
  assert shape == (2, 14, 14, 512)
  assert _shapes("vgg13", 224, drop_last_pool=False)[1] == (2, 7, 7, 512)
  assert _shapes("vgg13", 64)[1] == (2, 4, 4, 512)
  # VGG13 ("B") features: 10 convs, 9,404,992 parameters (the standard
  # torchvision count of vgg13().features).
  assert optim.count_params(variables["params"]) == 9_404_992
  assert sorted(variables["params"]) == [f"conv_{i}" for i in range(10)]


def test_bn_variant_and_tiny_trunk():
  variables, _ = _shapes("vgg13_bn", 64)
  assert set(variables) == {"params", "batch_stats"}
  assert variables["params"]["bn_9"]["scale"].shape == (512,)
  assert _shapes("vgg_tiny", 32)[1] == (2, 8, 8, 32)


def test_output_is_post_relu_and_bad_input_is_clear():
  net = vgg.build("vgg_tiny")
  x = jax.random.normal(jax.random.key(1), (1, 32, 32, 3))
  variables = net.init(jax.random.key(0), x)
  assert float(net.apply(variables, x).min()) >= 0.0
  with pytest.raises(ValueError, match="Unknown VGG backbone 'vgg12'"):
    vgg.build("vgg12")
  with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
    net.apply(variables, x[0])
