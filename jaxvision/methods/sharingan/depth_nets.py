"""MDE networks: ResNet generator G, GASDA UNet task net T, WGAN critic D.

Layer tables: spec 3.1 (G, `resnet9_t2net`), 3.2 (T, `unet_gasda`), 3.3 and
3.6 (critics, `conv14_bn` / `conv12_plain`). Widths scale with `ngf`, so the
smoke config runs the same modules with ngf=8.

Interfaces (spec 3.7):
  G(x, train) -> (features, x_shared)          x in [-1, 1], tanh output
  T(x_shared, train) -> [d_1/8, d_1/4, d_1/2, d_1]   each tanh in [-1, 1]
  D(x_shared, train) -> score [B, 1]            unbounded (WGAN critic)
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.methods.sharingan import layers


class ResnetGenerator(nn.Module):
  """T2Net's ResNet generator: 2 avg-pool downsamplings, inception bottleneck.

  Attributes:
    ngf: base width (64 in the paper).
    n_blocks: 9 in the paper; n_blocks - 2 inception blocks of width 1.
    out_channels: 3 (an image in the shared space).
    prelu_shared, bn_scale_init: fidelity knobs (see `layers`).
  """

  ngf: int = 64
  n_blocks: int = 9
  out_channels: int = 3
  prelu_shared: bool = True
  bn_scale_init: str = "uniform_quirk"

  @nn.compact
  def __call__(self, x: jax.Array, train: bool):
    slope = layers.shared_slope(self, self.prelu_shared)
    bn = self.bn_scale_init
    wide = 2 * self.ngf
    h = layers.conv(self.ngf, 7)(layers.reflect_pad(x, 3))
    h = layers.Act()(layers.batch_norm(train, bn)(h), slope)
    for _ in range(2):
      h = layers.avg_pool2(layers.EncoderBlock(wide, wide, bn)(h, slope, train))
    for _ in range(self.n_blocks - 2):
      h = layers.InceptionBlock(1, bn)(h, slope, train)
    features = h
    h = layers.DecoderUpBlock(wide, wide, bn)(h, slope, train)
    h = layers.DecoderUpBlock(wide, self.ngf, bn)(h, slope, train)
    out = layers.conv(self.out_channels, 7, bias=True)(layers.reflect_pad(h, 3))
    return features, jnp.tanh(out)


def _up_nearest(x: jax.Array) -> jax.Array:
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


class UNetGasda(nn.Module):
  """GASDA/T2Net UNet depth net with 4 tanh outputs, coarse to fine.

  Skips are scaled by weight x (1, 0.5, 0.1) with weight = 0.1 and coarse
  predictions are nearest-upsampled into the next scale (spec 3.2).
  """

  ngf: int = 64
  n_inception: int = 3
  inception_width: int = 3
  skip_weight: float = 0.1
  prelu_shared: bool = True
  bn_scale_init: str = "uniform_quirk"

  @nn.compact
  def __call__(self, x: jax.Array, train: bool) -> list[jax.Array]:
    if x.shape[1] % 16 or x.shape[2] % 16:
      raise ValueError(
          f"UNetGasda needs H and W divisible by 16 (4 "
          f"poolings), got input shape {x.shape}."
      )
    slope = layers.shared_slope(self, self.prelu_shared)
    bn, g, w = self.bn_scale_init, self.ngf, self.skip_weight
    conv1 = layers.conv(g, 7)(layers.reflect_pad(x, 3))
    conv1 = layers.Act()(layers.batch_norm(train, bn)(conv1), slope)
    conv1 = layers.avg_pool2(conv1)
    conv2 = layers.avg_pool2(
        layers.EncoderBlock(2 * g, 2 * g, bn)(conv1, slope, train)
    )
    conv3 = layers.avg_pool2(
        layers.EncoderBlock(4 * g, 4 * g, bn)(conv2, slope, train)
    )
    h = layers.avg_pool2(
        layers.EncoderBlock(8 * g, 8 * g, bn)(conv3, slope, train)
    )
    for _ in range(self.n_inception):
      h = layers.InceptionBlock(self.inception_width, bn)(h, slope, train)
    center = layers.DecoderUpBlock(8 * g, 4 * g, bn)(h, slope, train)
    h = jnp.concatenate([center, w * conv3], -1)
    out4 = layers.OutputBlock(1, 3)(h)
    h = layers.DecoderUpBlock(8 * g, 2 * g, bn)(h, slope, train)
    h = jnp.concatenate([h, 0.5 * w * conv2, _up_nearest(out4)], -1)
    out3 = layers.OutputBlock(1, 3)(h)
    h = layers.DecoderUpBlock(4 * g, g, bn)(h, slope, train)
    h = jnp.concatenate([h, 0.1 * w * conv1, _up_nearest(out3)], -1)
    out2 = layers.OutputBlock(1, 3)(h)
    h = layers.DecoderUpBlock(2 * g, g // 2, bn)(h, slope, train)
    h = jnp.concatenate([h, _up_nearest(out2)], -1)
    out1 = layers.OutputBlock(1, 7)(h)
    return [out4, out3, out2, out1]


CRITIC_NORMS = ("batch", "none", "layer")


class Critic(nn.Module):
  """WGAN critic: 3x3 convs (+ norm) + ReLU, flatten, MLP to one score.

  The paper MDE critic (`conv14_bn`) has 14 convs with BatchNorm, the FNE
  critic (`conv12_plain`) 12 convs without; the first Dense infers its input
  size, so any resolution works (spec 3.3, proposed).
  """

  channels: Sequence[int]
  strides: Sequence[int]
  hidden: Sequence[int] = (1024, 512)
  norm: str = "batch"

  @nn.compact
  def __call__(self, x: jax.Array, train: bool) -> jax.Array:
    if self.norm not in CRITIC_NORMS:
      raise ValueError(f"critic.norm={self.norm!r}; valid: {CRITIC_NORMS}.")
    if len(self.channels) != len(self.strides):
      raise ValueError(
          f"critic.channels {list(self.channels)} and "
          f"critic.strides {list(self.strides)} differ in length."
      )
    for features, stride in zip(self.channels, self.strides):
      x = nn.Conv(
          features, (3, 3), strides=(stride, stride), padding=((1, 1), (1, 1))
      )(x)
      x = nn.relu(self._norm(x, train))
    x = x.reshape(x.shape[0], -1)
    for features in self.hidden:
      x = nn.relu(self._norm(nn.Dense(features)(x), train))
    return nn.Dense(1)(x)

  def _norm(self, x, train):
    if self.norm == "batch":
      return layers.batch_norm(train, "ones")(x)
    if self.norm == "layer":
      return nn.LayerNorm()(x)
    return x
