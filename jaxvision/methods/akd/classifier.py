"""The separately trained attribute classifier that scores translations.

Section 4.4.3 measures translation quality with an attribute classifier
trained on the dataset's training images only; translated test images are
"correct" when it assigns the target attribute. This module trains such a
classifier (sigmoid head for multi-label attributes, softmax for
expressions), saves it as an .npz with its attribute names and architecture,
and loads it for evaluation. `arch`: "resnet50", the paper's ResNet-50
(torchvision layout, BatchNorm statistics updated in training, from random
init), or "cnn", a small strided CNN for the CPU smoke runs.

NOTE: it is trained on real images of a set that is disjoint from the test
images it later scores (CelebA/RaFD train split; for synthetic faces a set
rendered from its own seed), and never on generated images.
"""

import json
import os
from typing import Any, Sequence

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxvision.methods.akd import losses
from jaxvision.models import resnet

ARCHS = ("cnn", "resnet50")


class AttributeNet(nn.Module):
  """Strided 3x3 conv blocks (conv, GroupNorm, ReLU) -> mean pool -> logits."""

  num_classes: int
  widths: Sequence[int] = (16, 32, 64)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for i, width in enumerate(self.widths):
      x = nn.Conv(
          width, (3, 3), strides=2, padding=((1, 1), (1, 1)), name=f"conv_{i}"
      )(x)
      x = nn.relu(nn.GroupNorm(num_groups=min(8, width), name=f"norm_{i}")(x))
    return nn.Dense(self.num_classes, name="head")(x.mean(axis=(1, 2)))


def build_net(arch: str, num_classes: int, widths: Sequence[int]) -> nn.Module:
  """The classifier network; `widths` are the CNN's, or ResNet-50's five
  stage widths (empty: torchvision's 64, 64, 128, 256, 512)."""
  if arch not in ARCHS:
    raise ValueError(
        f"Unknown attribute classifier arch {arch!r}; valid: " f"{ARCHS}."
    )
  if arch == "resnet50":
    return resnet.build(
        "resnet50", widths=tuple(widths) or None, num_classes=num_classes
    )
  return AttributeNet(num_classes, tuple(widths))


class Classifier:
  """A trained classifier with its attribute names and label type.

  `params` are the network's variables without the "params" level for the
  CNN, and {"params", "batch_stats"} for ResNet-50.
  """

  def __init__(
      self,
      params: Any,
      attrs: Sequence[str],
      label_type: str,
      widths: Sequence[int],
      arch: str = "cnn",
  ):
    self.params = params
    self.attrs = list(attrs)
    self.label_type = label_type
    self.widths = tuple(widths)
    self.arch = arch
    self.net = build_net(arch, len(self.attrs), self.widths)

  def logits_fn(self):
    """`fn(params, images in [-1, 1]) -> logits`, for `Replicated.jit`."""
    if self.arch == "resnet50":
      return lambda variables, x: self.net.apply(variables, x, train=False)
    return lambda params, x: self.net.apply({"params": params}, x)

  def decisions(self, logits: np.ndarray) -> np.ndarray:
    """Multi-label: (N, K) {0, 1} by sigmoid >= 0.5; single: one-hot argmax."""
    logits = np.asarray(logits)
    if self.label_type == "single":
      return np.eye(logits.shape[-1], dtype=np.int32)[logits.argmax(-1)]
    return (logits >= 0.0).astype(np.int32)

  def save(self, path: str) -> str:
    flat = {
        f"params/{k}": np.asarray(v)
        for k, v in flax.traverse_util.flatten_dict(
            jax.device_get(self.params), sep="/"
        ).items()
    }
    meta = json.dumps(
        {
            "attrs": self.attrs,
            "label_type": self.label_type,
            "widths": list(self.widths),
            "arch": self.arch,
        }
    )
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
      np.savez(f, meta=np.asarray(meta), **flat)
    return path


def load(path: str) -> Classifier:
  """A classifier saved by `Classifier.save`."""
  path = os.path.expanduser(path)
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f"No attribute classifier at {path!r}. Train one on the training "
        "split (Python API: classifier.train(images, labels, attrs, ...)"
        ".save(FILE); there is no CLI for it yet) and set "
        "eval.classifier_ckpt to FILE."
    )
  with np.load(path) as archive:
    if "meta" not in archive.files:
      raise ValueError(
          f"{path!r} is not an AKD attribute classifier file "
          "(no 'meta' entry)."
      )
    meta = json.loads(str(archive["meta"]))
    params = flax.traverse_util.unflatten_dict(
        {
            k.split("/", 1)[1]: archive[k]
            for k in archive.files
            if k.startswith("params/")
        },
        sep="/",
    )
  return Classifier(
      params,
      meta["attrs"],
      meta["label_type"],
      meta["widths"],
      meta.get("arch", "cnn"),
  )


def train(
    images: np.ndarray,
    labels: np.ndarray,
    attrs: Sequence[str],
    label_type: str = "multi",
    widths: Sequence[int] = (16, 32, 64),
    steps: int = 100,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    arch: str = "cnn",
) -> Classifier:
  """Trains on (N, H, W, 3) images in [-1, 1] with (N, K) {0, 1} labels.

  Adam on shuffled minibatches; the loss is the same multi-label BCE (summed
  over attributes) or softmax CE as the GAN's auxiliary classifier. For
  `arch="resnet50"` pass `widths=()` for the paper's network.
  """
  images = np.asarray(images, np.float32)
  labels = np.asarray(labels, np.float32)
  if images.ndim != 4 or labels.shape != (len(images), len(attrs)):
    raise ValueError(
        f"Classifier training needs (N, H, W, 3) images and "
        f"(N, {len(attrs)}) labels, got {images.shape} and "
        f"{labels.shape}."
    )
  net = build_net(arch, len(attrs), widths)
  variables = jax.jit(net.init)(jax.random.key(seed), images[:1])
  params, stats = variables["params"], variables.get("batch_stats", {})
  tx = optax.adam(lr)
  opt_state = tx.init(params)

  @jax.jit
  def step(params, stats, opt_state, x, y):
    def loss_fn(p):
      if arch == "resnet50":
        logits, updated = net.apply(
            {"params": p, "batch_stats": stats},
            x,
            train=True,
            mutable=["batch_stats"],
        )
        return losses.classification(logits, y, label_type), (
            updated["batch_stats"]
        )
      return (
          losses.classification(net.apply({"params": p}, x), y, label_type),
          stats,
      )

    grads, stats = jax.grad(loss_fn, has_aux=True)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), stats, opt_state

  rng = np.random.default_rng(seed)
  for _ in range(steps):
    idx = rng.choice(
        len(images), size=min(batch_size, len(images)), replace=False
    )
    params, stats, opt_state = step(
        params,
        stats,
        opt_state,
        jnp.asarray(images[idx]),
        jnp.asarray(labels[idx]),
    )
  if arch == "resnet50":
    params = {"params": params, "batch_stats": stats}
  return Classifier(jax.device_get(params), attrs, label_type, widths, arch)
