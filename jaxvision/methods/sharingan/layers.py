"""Building blocks of the T2Net/GASDA generator and task nets (spec 3.1-3.2).

The official PyTorch code builds one `nn.PReLU()` per network and reuses it
everywhere, so a whole network has a single learnable slope; `Act` gets that
slope from the network (`prelu_shared=True`) or makes its own. Convolutions
use He-normal (fan-in) weights and zero biases, BatchNorm scales are drawn
from U(0.02, 1.0) (the `init.uniform_(w, 1.0, 0.02)` quirk) unless
`bn_scale_init='ones'`. Padding follows the reference: reflection in the 7x7,
inception and decoder convs, zeros in the encoder blocks (spec pitfall 14).
"""

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

# PyTorch kaiming_normal_(a=0, mode='fan_in'): a plain (untruncated) normal.
HE_NORMAL = nn.initializers.variance_scaling(2.0, "fan_in", "normal")
PRELU_INIT = 0.25
BN_SCALE_INITS = ("uniform_quirk", "ones")


def bn_scale_init(kind: str) -> Callable[..., jax.Array]:
  """BatchNorm scale initializer: U(0.02, 1.0) (official code) or ones."""
  if kind == "ones":
    return nn.initializers.ones
  if kind == "uniform_quirk":

    def init(key, shape, dtype=jnp.float32):
      return jax.random.uniform(key, shape, dtype, 0.02, 1.0)

    return init
  raise ValueError(f"model.bn_scale_init={kind!r}; valid: {BN_SCALE_INITS}.")


def batch_norm(train: bool, scale_init: str, name: str | None = None):
  # NOTE: PyTorch momentum 0.1 is Flax momentum 0.9 (spec 3, pitfall 14).
  return nn.BatchNorm(
      use_running_average=not train,
      momentum=0.9,
      epsilon=1e-5,
      scale_init=bn_scale_init(scale_init),
      name=name,
  )


def reflect_pad(x: jax.Array, pad: int) -> jax.Array:
  if pad == 0:
    return x
  return jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")


def avg_pool2(x: jax.Array) -> jax.Array:
  return nn.avg_pool(x, (2, 2), strides=(2, 2))


def conv(
    features: int,
    kernel: int,
    *,
    bias: bool = False,
    dilation: int = 1,
    padding="VALID",
    name: str | None = None,
) -> nn.Conv:
  return nn.Conv(
      features,
      (kernel, kernel),
      padding=padding,
      kernel_dilation=(dilation, dilation),
      use_bias=bias,
      kernel_init=HE_NORMAL,
      name=name,
  )


class Act(nn.Module):
  """PReLU with the network's shared slope, or its own when none is given."""

  @nn.compact
  def __call__(self, x: jax.Array, slope: jax.Array | None) -> jax.Array:
    if slope is None:
      slope = self.param("slope", nn.initializers.constant(PRELU_INIT), ())
    return jnp.where(x >= 0, x, slope * x)


class EncoderBlock(nn.Module):
  """Conv3x3 -> BN -> act, twice, zero padding, no bias."""

  mid: int
  out: int
  bn_scale_init: str = "uniform_quirk"

  @nn.compact
  def __call__(self, x, slope, train: bool):
    for features in (self.mid, self.out):
      x = conv(features, 3, padding=((1, 1), (1, 1)))(x)
      x = batch_norm(train, self.bn_scale_init)(x)
      x = Act()(x, slope)
    return x


class InceptionBlock(nn.Module):
  """`width` dilated 3x3 branches (dilation 2i+1), fuse, residual act."""

  width: int
  bn_scale_init: str = "uniform_quirk"

  @nn.compact
  def __call__(self, x, slope, train: bool):
    channels = x.shape[-1]
    branches = [
        conv(channels, 3, dilation=2 * i + 1)(reflect_pad(x, 2 * i + 1))
        for i in range(self.width)
    ]
    y = jnp.concatenate(branches, axis=-1)
    y = Act()(batch_norm(train, self.bn_scale_init)(y), slope)
    y = conv(channels, 3)(reflect_pad(y, 1))
    y = batch_norm(train, self.bn_scale_init)(y)
    return Act()(y + x, slope)


class DecoderUpBlock(nn.Module):
  """ReflectPad1 Conv3x3 -> BN -> act -> ConvT3x3/2 (bias) -> BN -> act."""

  mid: int
  out: int
  bn_scale_init: str = "uniform_quirk"

  @nn.compact
  def __call__(self, x, slope, train: bool):
    x = conv(self.mid, 3)(reflect_pad(x, 1))
    x = Act()(batch_norm(train, self.bn_scale_init)(x), slope)
    # NOTE: PyTorch ConvTranspose2d(k=3, s=2, padding=1, output_padding=1) is
    # lax padding ((1, 2), (1, 2)) with transpose_kernel=True: output 2x.
    x = nn.ConvTranspose(
        self.out,
        (3, 3),
        strides=(2, 2),
        padding=((1, 2), (1, 2)),
        transpose_kernel=True,
        kernel_init=HE_NORMAL,
    )(x)
    return Act()(batch_norm(train, self.bn_scale_init)(x), slope)


class OutputBlock(nn.Module):
  """ReflectPad(k//2) -> Conv kxk (no bias) -> tanh."""

  out: int
  kernel: int

  @nn.compact
  def __call__(self, x):
    return jnp.tanh(
        conv(self.out, self.kernel)(reflect_pad(x, self.kernel // 2))
    )


def shared_slope(module: nn.Module, shared: bool) -> jax.Array | None:
  """The network-wide PReLU slope param (created in `module`), or None."""
  if not shared:
    return None
  return module.param("prelu", nn.initializers.constant(PRELU_INIT), ())
