"""ImageNet ResNet weights for the depth / pose / scale encoders (spec 11).

The torchvision state_dict (`resnet18-f37072fd.pth`) is converted once
offline to an `.npz` keyed by torchvision names (`convert_pth`); training
reads `config.model.encoder.npz`. Names map one to one onto
`jaxvision.models.resnet` (`layer1.0.conv1.weight` -> `layer1_0/conv1/
kernel`), conv kernels go OIHW -> HWIO and BN running statistics go into
`batch_stats`. The pose encoder's first conv is derived at load time from the
RGB filters: 6 channels = concat(W, W) / 2 (Monodepth2); 8 channels
(CoordConv) per `model.pose.coord_init`.

  python -c "from jaxvision.methods.monoindoor import resnet_weights as r; \\
      r.convert_pth('resnet18-f37072fd.pth', 'resnet18_imagenet.npz')"
"""

import os

import flax
import jax.numpy as jnp
import numpy as np

from jaxvision.weights import torch_pickle

COORD_INITS = ("imagenet_cyclic", "imagenet_mean", "random", "zeros")
_BN = {
    "weight": ("params", "scale"),
    "bias": ("params", "bias"),
    "running_mean": ("batch_stats", "mean"),
    "running_var": ("batch_stats", "var"),
}


def convert_pth(pth_path: str, npz_path: str) -> str:
  """torchvision .pth -> .npz of numpy arrays keyed by torchvision names."""
  np.savez(npz_path, **torch_pickle.state_dict(pth_path))
  return npz_path


def to_flax(state: dict[str, np.ndarray]) -> dict[str, dict]:
  """A torchvision ResNet state_dict -> {"params", "batch_stats"} trees."""
  out = {"params": {}, "batch_stats": {}}
  for name, value in state.items():
    *path, leaf = name.split(".")
    if leaf == "num_batches_tracked":
      continue
    # "layer1.0.conv1" -> ("layer1_0", "conv1"); "downsample.0" -> one name.
    parts, i = [], 0
    while i < len(path):
      if i + 1 < len(path) and path[i + 1].isdigit():
        parts.append(f"{path[i]}_{path[i + 1]}")
        i += 2
      else:
        parts.append(path[i])
        i += 1
    if value.ndim == 4:
      collection, key, value = "params", "kernel", value.transpose(2, 3, 1, 0)
    elif parts[-1] == "fc":
      collection, key = "params", "kernel" if leaf == "weight" else "bias"
      value = value.T if leaf == "weight" else value
    else:
      collection, key = _BN[leaf]
    node = out[collection]
    for part in parts:
      node = node.setdefault(part, {})
    node[key] = np.asarray(value, np.float32)
  return out


def first_conv(
    kernel: np.ndarray, channels: int, coord_init: str, init_kernel: np.ndarray
) -> np.ndarray:
  """An HWIO first-conv kernel for a stacked pair (+ 2 coordinate maps)."""
  if channels == 3:
    return kernel
  pair = np.concatenate([kernel, kernel], axis=2) / 2
  if channels == 6:
    return pair
  if channels != 8:
    raise ValueError(f"No ImageNet rule for a {channels}-channel first conv.")
  if coord_init not in COORD_INITS:
    raise ValueError(
        f"Unknown model.pose.coord_init {coord_init!r}; valid: "
        f"{list(COORD_INITS)}."
    )
  if coord_init == "imagenet_cyclic":
    return kernel[:, :, np.arange(8) % 3] * 3 / 8
  if coord_init == "imagenet_mean":
    coords = np.repeat(kernel.mean(axis=2, keepdims=True), 2, axis=2) / 2
  elif coord_init == "zeros":
    coords = np.zeros_like(kernel[:, :, :2])
  else:
    coords = init_kernel[:, :, 6:]
  # NOTE: jnp so the random branch also works on traced init params.
  return jnp.concatenate([pair, coords], axis=2)


def _merge(target: dict, loaded: dict, where: str) -> dict:
  """Replaces leaves of `target` by `loaded`, checking names and shapes."""
  flat_t = flax.traverse_util.flatten_dict(target)
  flat_l = flax.traverse_util.flatten_dict(loaded)
  missing = sorted("/".join(k) for k in set(flat_t) - set(flat_l))
  if missing:
    raise ValueError(
        f"ImageNet weights lack {where} entries: {missing[:8]}"
        f" (of {len(missing)}). Is it the right architecture?"
    )
  for key, value in flat_l.items():
    if key not in flat_t:
      continue
    if tuple(flat_t[key].shape) != value.shape:
      raise ValueError(
          f"{where}/{'/'.join(key)}: checkpoint shape "
          f"{value.shape} != model shape {flat_t[key].shape}."
      )
    flat_t[key] = value
  return flax.traverse_util.unflatten_dict(flat_t)


def load_encoder(
    variables: dict, name: str, state: dict[str, np.ndarray], coord_init: str
) -> dict:
  """`variables` with encoder `name` set from a torchvision state_dict."""
  tree = to_flax(state)
  init_kernel = variables["params"][name]["conv1"]["kernel"]
  tree["params"]["conv1"]["kernel"] = first_conv(
      tree["params"]["conv1"]["kernel"],
      init_kernel.shape[2],
      coord_init,
      init_kernel,
  )
  tree["params"].pop("fc", None)
  out = {k: dict(v) for k, v in variables.items()}
  for collection in ("params", "batch_stats"):
    out[collection][name] = _merge(
        out[collection][name], tree[collection], f"{collection}/{name}"
    )
  return out


def maybe_load_pretrained(config, variables: dict) -> dict:
  """Loads ImageNet encoders when `model.encoder.pretrained == "imagenet"`."""
  enc = config.model.encoder
  if enc.pretrained == "none":
    return variables
  if enc.pretrained != "imagenet":
    raise ValueError(
        f"Unknown model.encoder.pretrained {enc.pretrained!r};"
        " valid: 'imagenet', 'none'."
    )
  path = os.path.expanduser(enc.npz)
  if not path or not os.path.isfile(path):
    raise FileNotFoundError(
        f"model.encoder.npz={enc.npz!r} does not exist. Convert torchvision's "
        "resnet18-f37072fd.pth once with resnet_weights.convert_pth(pth, npz)"
        " and set --config.model.encoder.npz=PATH, or train from scratch "
        "with --config.model.encoder.pretrained=none."
    )
  with np.load(path) as archive:
    state = dict(archive)
  for name in ("depth_encoder", "pose_encoder", "scale_encoder"):
    if name in variables["params"]:
      variables = load_encoder(
          variables, name, state, config.model.pose.coord_init
      )
  return variables
