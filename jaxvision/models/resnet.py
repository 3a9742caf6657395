"""ResNet-18/34/50 in linen with the torchvision module structure.

Module names follow torchvision (`conv1`, `bn1`, `layer1_0/conv1`,
`layer2_0/downsample_0`, `fc`) with `.` replaced by `_`, so a converted
torchvision state_dict maps onto the params tree name by name
(`jaxvision.methods.monoindoor.resnet_weights`). Padding is explicit and
symmetric ((3, 3) for the 7x7 stride-2 stem, (1, 1) for 3x3 convs and the
max-pool): `padding="SAME"` pads asymmetrically at stride 2 and shifts features
relative to torchvision weights.

`ResNet(...)(x)` returns the five feature maps of Monodepth2's encoder
[stem (stride 2), layer1 (4), layer2 (8), layer3 (16), layer4 (32)], or class
logits when `num_classes` is set. BatchNorm statistics live in the
`batch_stats` collection (torch momentum 0.1 = flax momentum 0.9).
"""

import functools
from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

# name -> (block kind, blocks per stage)
ARCHS = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
}
WIDTHS = (64, 64, 128, 256, 512)


def _norm(train: bool, name: str) -> nn.BatchNorm:
  return nn.BatchNorm(
      use_running_average=not train, momentum=0.9, epsilon=1e-5, name=name
  )


def _conv(features: int, kernel: int, strides: int, name: str) -> nn.Conv:
  pad = kernel // 2
  return nn.Conv(
      features,
      (kernel, kernel),
      strides=strides,
      padding=((pad, pad), (pad, pad)),
      use_bias=False,
      name=name,
  )


class BasicBlock(nn.Module):
  """torchvision BasicBlock: conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU."""

  features: int
  strides: int = 1

  expansion = 1

  @nn.compact
  def __call__(self, x, train: bool = False):
    y = nn.relu(
        _norm(train, "bn1")(_conv(self.features, 3, self.strides, "conv1")(x))
    )
    y = _norm(train, "bn2")(_conv(self.features, 3, 1, "conv2")(y))
    if x.shape[-1] != self.features or self.strides != 1:
      x = _norm(train, "downsample_1")(
          _conv(self.features, 1, self.strides, "downsample_0")(x)
      )
    return nn.relu(x + y)


class Bottleneck(nn.Module):
  """torchvision Bottleneck (v1.5: the stride sits on the 3x3 conv)."""

  features: int
  strides: int = 1

  expansion = 4

  @nn.compact
  def __call__(self, x, train: bool = False):
    out = self.features * self.expansion
    y = nn.relu(_norm(train, "bn1")(_conv(self.features, 1, 1, "conv1")(x)))
    y = nn.relu(
        _norm(train, "bn2")(_conv(self.features, 3, self.strides, "conv2")(y))
    )
    y = _norm(train, "bn3")(_conv(out, 1, 1, "conv3")(y))
    if x.shape[-1] != out or self.strides != 1:
      x = _norm(train, "downsample_1")(
          _conv(out, 1, self.strides, "downsample_0")(x)
      )
    return nn.relu(x + y)


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ResNet(nn.Module):
  """A torchvision-layout ResNet feature extractor (or classifier).

  Attributes:
    blocks: blocks per stage, e.g. (2, 2, 2, 2) for ResNet-18.
    block: "basic" or "bottleneck".
    widths: stem width then the four stage widths (before expansion).
    num_classes: None returns the feature pyramid; an int adds avgpool + fc.
  """

  blocks: Sequence[int] = (2, 2, 2, 2)
  block: str = "basic"
  widths: Sequence[int] = WIDTHS
  num_classes: int | None = None

  @property
  def feature_channels(self) -> tuple[int, ...]:
    """Channels of the five returned feature maps."""
    expansion = BLOCKS[self.block].expansion
    return (self.widths[0], *(w * expansion for w in self.widths[1:]))

  @nn.compact
  def __call__(self, x, train: bool = False):
    if self.block not in BLOCKS:
      raise ValueError(
          f"Unknown ResNet block {self.block!r}; valid: " f"{sorted(BLOCKS)}."
      )
    if len(self.blocks) != 4 or len(self.widths) != 5:
      raise ValueError(
          "ResNet needs 4 stage block counts and 5 widths, got "
          f"{self.blocks} and {self.widths}."
      )
    block = BLOCKS[self.block]
    x = nn.relu(_norm(train, "bn1")(_conv(self.widths[0], 7, 2, "conv1")(x)))
    features = [x]
    x = nn.max_pool(x, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))
    for stage, (count, width) in enumerate(zip(self.blocks, self.widths[1:])):
      for index in range(count):
        strides = 2 if stage > 0 and index == 0 else 1
        x = block(width, strides, name=f"layer{stage + 1}_{index}")(x, train)
      features.append(x)
    if self.num_classes is None:
      return features
    return nn.Dense(self.num_classes, name="fc")(jnp.mean(x, axis=(1, 2)))


def build(
    arch: str,
    widths: Sequence[int] | None = None,
    blocks: Sequence[int] | None = None,
    num_classes: int | None = None,
) -> ResNet:
  """A named architecture, optionally with custom widths / block counts.

  "tiny_resnet" style smoke encoders are `build("resnet18", widths=(16, 16,
  32, 64, 128), blocks=(1, 1, 1, 1))`.
  """
  if arch not in ARCHS:
    raise ValueError(f"Unknown ResNet {arch!r}; valid: {sorted(ARCHS)}.")
  kind, default_blocks = ARCHS[arch]
  return ResNet(
      blocks=tuple(blocks or default_blocks),
      block=kind,
      widths=tuple(widths or WIDTHS),
      num_classes=num_classes,
  )


resnet18 = functools.partial(build, "resnet18")
resnet50 = functools.partial(build, "resnet50")
