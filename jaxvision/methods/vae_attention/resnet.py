"""The MVTec-AD VAE: ResNet-18 encoder with taps, up-sampling decoder.

Spec 3.1: ResNet-18 backbone [TEXT] (conv1 ... layer4, torchvision layout:
7x7/2 stem + 3x3/2 max-pool, four stages of two basic blocks), then [DEFAULT]
global average pooling and two FC heads; decoder [DEFAULT] FC -> 512x8x8 ->
5 x (nearest x2 + Conv3x3 + BN + ReLU) -> Conv3x3 -> 3 logits.

BatchNorm statistics live in the `batch_stats` collection, the "model"
role's model state in the train state (never seen by the optimizer).
"""

import functools
from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

_STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))


def _norm(train: bool):
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5)


class BasicBlock(nn.Module):
  """Two 3x3 convs with BN and an identity / 1x1-projection shortcut."""

  features: int
  strides: int = 1

  @nn.compact
  def __call__(self, x, train: bool = False):
    conv = functools.partial(nn.Conv, self.features, use_bias=False)
    y = conv((3, 3), strides=self.strides, padding=((1, 1), (1, 1)))(x)
    y = nn.relu(_norm(train)(y))
    y = _norm(train)(conv((3, 3), padding=((1, 1), (1, 1)))(y))
    if x.shape != y.shape:
      x = _norm(train)(conv((1, 1), strides=self.strides)(x))
    return nn.relu(x + y)


class ResNetEncoder(nn.Module):
  """ResNet-18 trunk; taps 'stem' (after max-pool) and 'layer1'..'layer4'."""

  latent_dim: int
  tap: str = "post_act"

  def setup(self):
    if self.tap != "post_act":
      raise ValueError(
          "The ResNet-18 encoder only taps rectified block "
          "outputs; set attention.tap='post_act'."
      )
    self.stem_conv = nn.Conv(
        64, (7, 7), strides=2, padding=((3, 3), (3, 3)), use_bias=False
    )
    self.stem_norm = nn.BatchNorm(momentum=0.9, epsilon=1e-5)
    self.blocks = [[BasicBlock(f, s), BasicBlock(f, 1)] for f, s in _STAGES]
    self.mu = nn.Dense(self.latent_dim)
    self.logvar = nn.Dense(self.latent_dim)

  @property
  def layers(self) -> tuple[str, ...]:
    return ("stem", "layer1", "layer2", "layer3", "layer4")

  def _index(self, layer: str) -> int:
    if layer not in self.layers:
      raise ValueError(
          f"Unknown attention.target_layer {layer!r}; this "
          f"encoder's taps are {list(self.layers)}."
      )
    return self.layers.index(layer)

  def _stages(self, x, first: int, last: int, train: bool):
    for stage in self.blocks[first:last]:
      for block in stage:
        x = block(x, train)
    return x

  def trunk(self, x, layer: str, train: bool = False):
    x = self.stem_conv(x)
    x = nn.relu(self.stem_norm(x, use_running_average=not train))
    x = nn.max_pool(x, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))
    return self._stages(x, 0, self._index(layer), train)

  def head(self, a, layer: str, train: bool = False):
    x = self._stages(a, self._index(layer), len(self.blocks), train)
    x = jnp.mean(x, axis=(-3, -2))
    return self.mu(x), self.logvar(x)

  def __call__(self, x, train: bool = False):
    return self.head(self.trunk(x, "layer4", train), "layer4", train)


class UpsampleDecoder(nn.Module):
  """FC -> start map -> (nearest x2, Conv3x3, BN, ReLU) per width -> logits."""

  start_shape: Sequence[int]
  features: Sequence[int]
  channels: int

  @nn.compact
  def __call__(self, z, train: bool = False):
    h, w, c = self.start_shape
    x = nn.Dense(h * w * c)(z).reshape(z.shape[:-1] + (h, w, c))
    for f in self.features:
      x = jnp.repeat(jnp.repeat(x, 2, axis=-3), 2, axis=-2)
      x = nn.Conv(f, (3, 3), padding=((1, 1), (1, 1)), use_bias=False)(x)
      x = nn.relu(_norm(train)(x))
    return nn.Conv(self.channels, (3, 3), padding=((1, 1), (1, 1)))(x)
