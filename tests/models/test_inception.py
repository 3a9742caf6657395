"""The FID Inception-v3 in pytorch-fid's state-dict layout."""

import jax
import numpy as np

from jaxvision.models import inception


def test_published_layout_has_pytorch_fid_keys_and_sizes():
  shapes = inception.expected_shapes(1)
  assert shapes["Conv2d_1a_3x3.conv.weight"] == (32, 3, 3, 3)
  assert shapes["Mixed_5b.branch_pool.conv.weight"] == (32, 192, 1, 1)
  assert shapes["Mixed_6a.branch3x3.conv.weight"] == (384, 288, 3, 3)
  assert shapes["Mixed_7b.branch1x1.conv.weight"] == (320, 1280, 1, 1)
  assert shapes["Mixed_7c.branch_pool.conv.weight"] == (192, 2048, 1, 1)
  convs = sum(
      np.prod(s)
      for k, s in shapes.items()
      if k.endswith("weight") and "conv" in k
  )
  # torchvision's inception_v3 has 27,161,264 params; without fc (2,049,000)
  # and AuxLogits (3,326,696) that leaves the conv kernels and BN affines.
  bn = sum(s[0] for k, s in shapes.items() if k.endswith("bn.weight"))
  assert convs + 2 * bn == 21_785_568


def test_pool3_shape_on_the_tiny_network():
  params = inception.random_state_dict(width_div=16)
  x = np.zeros((2, 299, 299, 3), np.float32)
  out = jax.eval_shape(inception.pool3, params, x)
  assert out.shape == (2, 2048 // 16)
  assert inception.check_state_dict(params, "tiny") == 16
