"""torchvision VGG state dicts -> Flax: key layout and forward parity."""

import jax
import numpy as np
import pytest

from jaxvision.models import vgg
from jaxvision.weights import torchvision

torch = pytest.importorskip("torch")


def _torch_features(name: str) -> "torch.nn.Sequential":
  """torchvision's `make_layers` for a plan (same indices and key names)."""
  layers, c_in = [], 3
  for entry in vgg.plan(name):
    if entry == "M":
      layers.append(torch.nn.MaxPool2d(2, 2))
      continue
    layers.append(torch.nn.Conv2d(c_in, entry, 3, padding=1))
    if vgg.uses_batchnorm(name):
      layers.append(torch.nn.BatchNorm2d(entry))
    layers.append(torch.nn.ReLU(inplace=True))
    c_in = entry
  return torch.nn.Sequential(*layers)


def _save(tmp_path, name, features):
  state = {f"features.{k}": v for k, v in features.state_dict().items()}
  state["classifier.0.weight"] = torch.zeros(4, 4)  # ignored FC head
  path = tmp_path / f"{name}.pth"
  torch.save(state, path)
  return str(path)


@pytest.mark.parametrize(
    "name,size,out_hwc",
    [("vgg13", 64, (4, 4, 512)), ("vgg_tiny_bn", 32, (8, 8, 32))],
)
def test_forward_matches_torch(tmp_path, name, size, out_hwc):
  torch.manual_seed(0)
  features = _torch_features(name).eval()
  if vgg.uses_batchnorm(name):
    for m in features:
      if isinstance(m, torch.nn.BatchNorm2d):
        m.running_mean.uniform_(-0.5, 0.5)
        m.running_var.uniform_(0.5, 2.0)
        m.weight.data.uniform_(0.5, 1.5)
  variables = torchvision.load_vgg(_save(tmp_path, name, features), name)
  x = (
      np.random.default_rng(0)
      .uniform(0, 1, (2, size, size, 3))
      .astype(np.float32)
  )
  ours = vgg.build(name, drop_last_pool=True).apply(
      jax.tree.map(np.asarray, variables), x
  )
  with torch.no_grad():
    ref = features[:-1](torch.from_numpy(x).permute(0, 3, 1, 2))
  assert ours.shape == (2, *out_hwc)
  np.testing.assert_allclose(
      np.asarray(ours), ref.permute(0, 2, 3, 1).numpy(), rtol=1e-4, atol=1e-4
  )


def test_vgg13_indices_and_errors(tmp_path):
  assert [
      c for c, _ in torchvision.feature_indices(vgg.plan("vgg13"), False)
  ] == [0, 2, 5, 7, 10, 12, 15, 17, 20, 22]
  path = _save(tmp_path, "tiny", _torch_features("vgg_tiny"))
  with pytest.raises(ValueError, match="missing=.*features.1.running_mean"):
    torchvision.load_vgg(path, "vgg_tiny_bn")
  with pytest.raises(FileNotFoundError, match="vgg13-c768596a.pth"):
    torchvision.load_vgg(str(tmp_path / "nope.pth"), "vgg13")
