"""VAE networks whose encoders split at a named tap layer (spec 3.1).

Every encoder has `trunk(x, layer) -> A` and `head(A, layer) -> (mu, logvar)`
so the attention code can differentiate the latent code with respect to the
feature map A of any tap, treating A as an input (no hooks; spec pitfall 2).

  ConvEncoder / ConvDecoder   stride-2 k4 p1 conv nets: the MNIST REF-CODE net,
                              the UCSD net (decoder resized to 100x100), the
                              Kim & Mnih FactorVAE net and the smoke nets.
  resnet.ResNetEncoder        ResNet-18 trunk for MVTec-AD (resnet.py).
  Discriminator               FactorVAE total-correlation MLP on z.
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.methods.vae_attention import resnet

# NOTE: PyTorch's Conv2d(k4, s2, p1) and ConvTranspose2d(k4, s2, p1) -- the
# layers of the reference nets -- as explicit flax paddings: both halve /
# double the size exactly, so 28 -> 14 -> 7 and 64 -> 32 -> ... -> 4.
_CONV_PAD = ((1, 1), (1, 1))
_CONVT_PAD = ((2, 2), (2, 2))


class ConvEncoder(nn.Module):
  """Stride-2 convs + ReLU, flatten, hidden FCs + ReLU, (mu, logvar) heads.

  Taps are 'conv1'..'convN'. With tap='post_act' A is the rectified map (as
  Grad-CAM); 'pre_act' taps the raw conv output (REF-CODE) and the head
  starts with the ReLU.
  """

  features: Sequence[int]
  fc: Sequence[int]
  latent_dim: int
  kernel: int = 4
  tap: str = "post_act"

  def setup(self):
    self.convs = [
        nn.Conv(f, (self.kernel, self.kernel), strides=2, padding=_CONV_PAD)
        for f in self.features
    ]
    self.hidden = [nn.Dense(f) for f in self.fc]
    self.mu = nn.Dense(self.latent_dim)
    self.logvar = nn.Dense(self.latent_dim)

  @property
  def layers(self) -> tuple[str, ...]:
    return tuple(f"conv{i + 1}" for i in range(len(self.features)))

  def _index(self, layer: str) -> int:
    if layer not in self.layers:
      raise ValueError(
          f"Unknown attention.target_layer {layer!r}; this "
          f"encoder's taps are {list(self.layers)}."
      )
    return self.layers.index(layer)

  def trunk(self, x, layer: str, train: bool = False):
    del train
    last = self._index(layer)
    for i, conv in enumerate(self.convs[: last + 1]):
      x = conv(x)
      if i < last or self.tap == "post_act":
        x = nn.relu(x)
    return x

  def head(self, a, layer: str, train: bool = False):
    del train
    first = self._index(layer) + 1
    x = nn.relu(a) if self.tap == "pre_act" else a
    for conv in self.convs[first:]:
      x = nn.relu(conv(x))
    x = x.reshape(x.shape[:-3] + (-1,))
    for dense in self.hidden:
      x = nn.relu(dense(x))
    return self.mu(x), self.logvar(x)

  def __call__(self, x, train: bool = False):
    return self.head(self.trunk(x, self.layers[-1]), self.layers[-1])


class ConvDecoder(nn.Module):
  """Hidden FCs + ReLU, FC to a start map, stride-2 ConvTs; returns logits.

  `output_size` resizes the last map bilinearly (UCSD: 96 -> 100, spec
  pitfall 12). The output is a logit map; `VAE.reconstruct` applies the
  sigmoid.
  """

  fc: Sequence[int]
  start_shape: Sequence[int]
  features: Sequence[int]
  kernel: int = 4
  output_size: Sequence[int] | None = None

  @nn.compact
  def __call__(self, z, train: bool = False):
    del train
    x = z
    for f in self.fc:
      x = nn.relu(nn.Dense(f)(x))
    h, w, c = self.start_shape
    x = nn.relu(nn.Dense(h * w * c)(x)).reshape(z.shape[:-1] + (h, w, c))
    for i, f in enumerate(self.features):
      x = nn.ConvTranspose(
          f, (self.kernel, self.kernel), strides=(2, 2), padding=_CONVT_PAD
      )(x)
      if i < len(self.features) - 1:
        x = nn.relu(x)
    if self.output_size is not None:
      x = jax.image.resize(
          x, x.shape[:-3] + tuple(self.output_size) + x.shape[-1:], "bilinear"
      )
    return x


class Discriminator(nn.Module):
  """FactorVAE discriminator: `layers` x Dense(hidden) + LeakyReLU(0.2) -> 2.

  Logit 0 = "sample of q(z)", logit 1 = "dimension-permuted sample".
  """

  hidden: int = 1000
  layers: int = 6

  @nn.compact
  def __call__(self, z):
    x = z
    for _ in range(self.layers):
      x = nn.leaky_relu(nn.Dense(self.hidden)(x), 0.2)
    return nn.Dense(2)(x)


class VAE(nn.Module):
  """Diagonal-Gaussian VAE: z = mu + exp(logvar / 2) * eps."""

  encoder: nn.Module
  decoder: nn.Module

  def trunk(self, x, layer: str, train: bool = False):
    return self.encoder.trunk(x, layer, train)

  def head(self, a, layer: str, train: bool = False):
    return self.encoder.head(a, layer, train)

  def encode(self, x, train: bool = False):
    return self.encoder(x, train)

  def decode(self, z, train: bool = False):
    return self.decoder(z, train)

  def reconstruct(self, x):
    """Sigmoid of the decoded posterior mean (for diffmaps and PNGs)."""
    mu, _ = self.encoder(x)
    return nn.sigmoid(self.decoder(mu))

  def __call__(self, x, eps, train: bool = False):
    mu, logvar = self.encoder(x, train)
    z = mu + jnp.exp(0.5 * logvar) * eps
    return mu, logvar, z, self.decoder(z, train)


def build_encoder(
    cfg: ml_collections.ConfigDict, latent_dim: int, tap: str
) -> nn.Module:
  kind = cfg.kind
  if kind == "conv":
    return ConvEncoder(
        features=tuple(cfg.features),
        fc=tuple(cfg.fc),
        latent_dim=latent_dim,
        kernel=cfg.get("kernel", 4),
        tap=tap,
    )
  if kind == "resnet18":
    return resnet.ResNetEncoder(latent_dim=latent_dim, tap=tap)
  raise ValueError(
      f"model.encoder.kind must be 'conv' or 'resnet18', got " f"{kind!r}."
  )


def build_decoder(cfg: ml_collections.ConfigDict) -> nn.Module:
  kind = cfg.kind
  if kind == "conv":
    size = cfg.get("output_size", None)
    return ConvDecoder(
        fc=tuple(cfg.fc),
        start_shape=tuple(cfg.start_shape),
        features=tuple(cfg.features),
        kernel=cfg.get("kernel", 4),
        output_size=tuple(size) if size else None,
    )
  if kind == "upsample":
    return resnet.UpsampleDecoder(
        start_shape=tuple(cfg.start_shape),
        features=tuple(cfg.features),
        channels=cfg.channels,
    )
  raise ValueError(
      f"model.decoder.kind must be 'conv' or 'upsample', got " f"{kind!r}."
  )


def build(config: ml_collections.ConfigDict) -> VAE:
  """The VAE of `config.model`."""
  model = config.model
  tap = config.attention.get("tap", "post_act")
  if tap not in ("post_act", "pre_act"):
    raise ValueError(
        f"attention.tap must be 'post_act' or 'pre_act', got " f"{tap!r}."
    )
  return VAE(
      encoder=build_encoder(model.encoder, model.latent_dim, tap),
      decoder=build_decoder(model.decoder),
  )


def build_discriminator(config: ml_collections.ConfigDict) -> Discriminator:
  disc = config.model.disc
  return Discriminator(hidden=disc.hidden, layers=disc.layers)


def uses_batch_norm(config: ml_collections.ConfigDict) -> bool:
  """Whether the model keeps BatchNorm statistics (the MVTec ResNet net)."""
  return (
      config.model.encoder.kind == "resnet18"
      or config.model.decoder.kind == "upsample"
  )
