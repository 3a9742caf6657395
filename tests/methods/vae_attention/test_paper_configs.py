"""Paper configs: architectures, tap resolutions and parameter counts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.core import method as method_lib
from jaxvision.core import state as state_lib
from jaxvision.methods.vae_attention import method
from jaxvision.methods.vae_attention import model as model_lib


def _ctx(path, overrides=()):
  config = config_lib.load_config(path, list(overrides))
  mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("data",))
  return method_lib.stage_contexts(config, mesh)[0]


def _count(tree):
  return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(tree))


def _shapes(ctx):
  """{role: params} (abstract) of a config's model."""
  return jax.eval_shape(lambda: method.init(ctx, jax.random.key(0)))[0]


def test_mnist_reference_net_parameter_count():
  params = _shapes(_ctx("configs/vae_attention/mnist.py:digit=3"))
  # Encoder: conv 1->64 (1,088) + 64->128 (131,200) + FC 6272->1024
  # (6,423,552) + two heads 1024->32 (32,800 each) = 6,621,440.
  # Decoder: FC 32->1024 (33,792) + 1024->6272 (6,428,800) + ConvT 128->64
  # (131,136) + 64->1 (1,025) = 6,594,753.
  assert _count(params["model"]["encoder"]) == 6_621_440
  assert _count(params["model"]["decoder"]) == 6_594_753


def test_factorvae_nets_match_kim_and_mnih():
  params = _shapes(_ctx("configs/vae_attention/dsprites.py:gamma=40,pairs=3"))
  # Conv 1->32, 32->32, 32->64, 64->64 (k4) + FC 1024->128 + 128->2x10.
  assert _count(params["model"]["encoder"]) == 249_172
  assert _count(params["model"]["decoder"]) == 248_833
  # 10->1000, 5 x 1000->1000, 1000->2.
  assert _count(params["disc"]) == 5_018_002


def test_mvtec_resnet18_trunk_matches_torchvision():
  params = _shapes(_ctx("configs/vae_attention/mvtec.py:category=carpet"))
  encoder = params["model"]["encoder"]
  trunk = {k: v for k, v in encoder.items() if k not in ("mu", "logvar")}
  # torchvision resnet18: 11,689,512 parameters minus its fc (513,000).
  assert _count(trunk) == 11_176_512
  assert _count(encoder["mu"]) == 512 * 32 + 32


@pytest.mark.parametrize(
    "path,taps",
    [
        (
            "configs/vae_attention/ucsd.py",
            {"conv1": 50, "conv2": 25, "conv3": 12},
        ),
        (
            "configs/vae_attention/dsprites.py",
            {"conv1": 32, "conv2": 16, "conv3": 8, "conv4": 4},
        ),
        ("configs/vae_attention/mvtec.py", {"layer3": 16, "layer4": 8}),
    ],
)
def test_tap_resolutions_and_reconstruction_shape(path, taps):
  ctx = _ctx(path)
  config = ctx.config
  vae = model_lib.build(config)
  params, model_state = jax.eval_shape(
      lambda: method.init(ctx, jax.random.key(0))
  )
  variables = state_lib.merge_variables(
      params["model"], model_state.get("model", {})
  )
  x = jax.ShapeDtypeStruct((1,) + tuple(config.model.image_shape), jnp.float32)
  for layer, size in taps.items():
    a = jax.eval_shape(
        lambda v, x, layer=layer: vae.apply(
            v, x, layer, method=model_lib.VAE.trunk
        ),
        variables,
        x,
    )
    assert a.shape[1:3] == (size, size), layer
  eps = jax.ShapeDtypeStruct((1, config.model.latent_dim), jnp.float32)
  out = jax.eval_shape(lambda v, x, e: vae.apply(v, x, e), variables, x, eps)
  assert out[3].shape == x.shape  # UCSD: 96 -> 100 resize


def test_config_errors():
  with pytest.raises(Exception, match="layer="):
    config_lib.load_config("configs/vae_attention/ucsd.py:layer=conv9", [])
  ctx = _ctx(
      "configs/vae_attention/smoke.py", ["attention.target_layer='conv7'"]
  )
  vae = model_lib.build(ctx.config)
  with pytest.raises(ValueError, match="conv1"):
    vae.init(
        jax.random.key(0),
        jnp.zeros((1, 32, 32, 1)),
        "conv7",
        method=model_lib.VAE.trunk,
    )
