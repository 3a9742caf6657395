"""VGG convolutional trunks (Simonyan & Zisserman), torchvision layout.

`VGG` is the `features` part of torchvision's VGG: 3x3 / stride 1 / pad 1
convs, each followed by ReLU (and BatchNorm before the ReLU in the `_bn`
variants), with 2x2 / stride 2 max-pools at the "M" entries. The fully
connected head is not built. Conv `i` (counting convs only) is named
`conv_i` and its BatchNorm `bn_i`, which is the flat layout that
`jaxvision.weights.torchvision` maps the torchvision `features.N` keys to.

`drop_last_pool=True` removes the final max-pool: the violence-detection
encoder (dissertation 000, app. A.3.1.1) keeps VGG13's 14x14x512 map at 224
px input instead of 7x7.
"""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

# Channel plans; "M" is a 2x2 max-pool.
CONFIGS = {
    # Configuration "B" of the VGG paper: 10 convs, 9.4M conv parameters.
    "vgg13": (
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        "M",
        512,
        512,
        "M",
        512,
        512,
        "M",
    ),
    # A small VGG-style trunk for CPU smoke runs (spec 11): 32 px -> 8x8x32
    # once the last pool is dropped.
    "vgg_tiny": (8, "M", 16, "M", 32, 32, "M"),
}


def plan(name: str) -> tuple[int | str, ...]:
  """The channel plan of a backbone name, with a clear error if unknown."""
  base = name.removesuffix("_bn")
  if base not in CONFIGS:
    known = sorted([*CONFIGS, *(f"{k}_bn" for k in CONFIGS)])
    raise ValueError(f"Unknown VGG backbone {name!r}; choose one of {known}.")
  return CONFIGS[base]


def uses_batchnorm(name: str) -> bool:
  return name.endswith("_bn")


class VGG(nn.Module):
  """VGG feature extractor: (N, H, W, 3) -> (N, H', W', C_last), post-ReLU.

  Attributes:
    channels: the plan, ints for 3x3 convs and "M" for max-pools.
    batch_norm: BatchNorm (torchvision eps 1e-5, momentum 0.1) after each conv.
    drop_last_pool: remove a trailing "M".
  """

  channels: Sequence[int | str]
  batch_norm: bool = False
  drop_last_pool: bool = False

  @nn.compact
  def __call__(self, x: jnp.ndarray, train: bool = False) -> jnp.ndarray:
    if x.ndim != 4:
      raise ValueError(f"VGG expects (N, H, W, C) images, got {x.shape}.")
    channels = list(self.channels)
    if self.drop_last_pool and channels and channels[-1] == "M":
      channels = channels[:-1]
    conv = 0
    for entry in channels:
      if entry == "M":
        x = nn.max_pool(x, (2, 2), strides=(2, 2))
        continue
      x = nn.Conv(
          int(entry), (3, 3), padding=((1, 1), (1, 1)), name=f"conv_{conv}"
      )(x)
      if self.batch_norm:
        # NOTE: torchvision momentum 0.1 is flax momentum 0.9.
        x = nn.BatchNorm(
            use_running_average=not train,
            momentum=0.9,
            epsilon=1e-5,
            name=f"bn_{conv}",
        )(x)
      x = nn.relu(x)
      conv += 1
    return x


def build(name: str, drop_last_pool: bool = True) -> VGG:
  """`VGG` for a backbone name: vgg13, vgg13_bn, vgg_tiny, vgg_tiny_bn."""
  return VGG(
      channels=plan(name),
      batch_norm=uses_batchnorm(name),
      drop_last_pool=drop_last_pool,
  )
