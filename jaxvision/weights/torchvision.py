"""torchvision VGG state dicts -> Flax params of `jaxvision.models.vgg.VGG`.

torchvision's `vgg13-c768596a.pth` (and `vgg13_bn-abd245e5.pth`) is a
`torch.save`d state dict whose `features` is one nn.Sequential: every conv
is followed by ReLU (plain) or by BatchNorm2d and ReLU (`_bn`), with a
MaxPool2d at each "M" of the plan. So for VGG13 the convs sit at
`features.{0,2,5,7,10,12,15,17,20,22}`, and for VGG13-BN each conv at index
i has its BatchNorm at i + 1. The `classifier.*` entries (the FC head) are
ignored: the encoders here drop it.

Conversions: conv weight OIHW -> Flax HWIO kernel; BatchNorm weight/bias ->
scale/bias (params), running_mean/running_var -> mean/var (batch_stats).
Files are read with `torch_pickle`, so no torch is needed at runtime.
"""

import functools
import os
from typing import Any, Sequence

import numpy as np

from jaxvision.models import vgg
from jaxvision.weights import torch_pickle


def feature_indices(
    channels: Sequence[int | str], batch_norm: bool
) -> list[tuple[int, int | None]]:
  """(conv index, BatchNorm index or None) in `features` for every conv."""
  out, index = [], 0
  for entry in channels:
    if entry == "M":
      index += 1
      continue
    out.append((index, index + 1 if batch_norm else None))
    index += 3 if batch_norm else 2
  return out


def _expected(
    channels: Sequence[int | str], batch_norm: bool, in_channels: int = 3
) -> dict[str, tuple[int, ...]]:
  """torchvision key -> shape of the features part of a VGG."""
  shapes, c_in = {}, in_channels
  convs = [c for c in channels if c != "M"]
  for (conv, bn), c_out in zip(feature_indices(channels, batch_norm), convs):
    shapes[f"features.{conv}.weight"] = (c_out, c_in, 3, 3)
    shapes[f"features.{conv}.bias"] = (c_out,)
    if bn is not None:
      for leaf in ("weight", "bias", "running_mean", "running_var"):
        shapes[f"features.{bn}.{leaf}"] = (c_out,)
    c_in = c_out
  return shapes


def vgg_variables(state: dict[str, np.ndarray], name: str) -> dict[str, Any]:
  """Flax variables {"params", ["batch_stats"]} of `vgg.build(name)`.

  Args:
    state: a torchvision VGG state dict (`features.N.*` keys; others, such as
      `classifier.*` and BatchNorm's `num_batches_tracked`, are ignored).
    name: backbone name of `jaxvision.models.vgg` (vgg13, vgg13_bn, ...).

  Raises:
    ValueError: keys missing from `state`, unexpected `features.*` keys
      (e.g. a BN file loaded as plain VGG), or shape mismatches; the message
      lists them.
  """
  channels, batch_norm = vgg.plan(name), vgg.uses_batchnorm(name)
  expected = _expected(channels, batch_norm)
  features = {
      k: v
      for k, v in state.items()
      if k.startswith("features.") and not k.endswith("num_batches_tracked")
  }
  missing = sorted(set(expected) - set(features))
  unexpected = sorted(set(features) - set(expected))
  wrong = {
      k: (tuple(features[k].shape), expected[k])
      for k in expected
      if k in features and tuple(features[k].shape) != expected[k]
  }
  if missing or unexpected or wrong:
    raise ValueError(
        f"State dict does not match torchvision {name} features: "
        f"missing={missing[:8]}{'...' if len(missing) > 8 else ''} "
        f"unexpected={unexpected[:8]}{'...' if len(unexpected) > 8 else ''} "
        f"shape (got, expected)={wrong}. Use the matching file "
        "(vgg13-c768596a.pth for vgg13, vgg13_bn-abd245e5.pth for vgg13_bn)."
    )
  params, stats = {}, {}
  for i, (conv, bn) in enumerate(feature_indices(channels, batch_norm)):
    weight = np.asarray(features[f"features.{conv}.weight"], np.float32)
    params[f"conv_{i}"] = {
        "kernel": weight.transpose(2, 3, 1, 0),
        "bias": np.asarray(features[f"features.{conv}.bias"], np.float32),
    }
    if bn is not None:
      get = lambda leaf, bn=bn: np.asarray(
          features[f"features.{bn}.{leaf}"], np.float32
      )
      params[f"bn_{i}"] = {"scale": get("weight"), "bias": get("bias")}
      stats[f"bn_{i}"] = {
          "mean": get("running_mean"),
          "var": get("running_var"),
      }
  return (
      {"params": params, "batch_stats": stats} if stats else {"params": params}
  )


@functools.lru_cache(maxsize=2)
def load_vgg(path: str, name: str) -> dict[str, Any]:
  """Flax variables of backbone `name` from a torchvision `.pth` file.

  Raises:
    FileNotFoundError: no file at `path`, with where to get it.
    ValueError: the file is not a matching torchvision VGG state dict.
  """
  path = os.path.expanduser(path)
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f"No VGG weights at {path!r}. Copy torchvision's ImageNet file there "
        "(vgg13-c768596a.pth for vgg13, vgg13_bn-abd245e5.pth for vgg13_bn; "
        "nothing is downloaded) or set backbone.pretrained_path='' to start "
        "from random weights."
    )
  try:
    return vgg_variables(torch_pickle.state_dict(path), name)
  except ValueError as e:
    raise ValueError(f"{path}: {e}") from e
