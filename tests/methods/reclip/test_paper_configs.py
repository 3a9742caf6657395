"""Paper configs reproduce the seed's parameter and FLOP counts."""

import contextlib
import io
import re

import jax
import pytest

from jaxvision import commands
from jaxvision import config_lib
from jaxvision.core import method as method_lib
from jaxvision.core import optim
from jaxvision.core import sharding
from jaxvision.methods.reclip import method


def _contexts(arg):
  config = config_lib.load_config(f"configs/reclip/reclip.py:{arg}")
  return method_lib.stage_contexts(config, sharding.make_mesh(None))


def test_vit_l16_image_tower_has_303m_params():
  ctx = _contexts("size=64")[1]  # the 224 finetune
  params = jax.eval_shape(lambda: method.init(ctx, jax.random.key(0)))
  image = optim.count_params(params["model"]["image_tower"])
  assert image == pytest.approx(303e6, rel=0.01)
  assert image == 303_299_584


def test_posemb_is_a_larger_parameter_after_the_switch():
  low, high = _contexts("size=64")
  shapes = [
      jax.eval_shape(lambda c=c: method.init(c, jax.random.key(0)))["model"][
          "image_tower"
      ]["pos_embedding"].shape
      for c in (low, high)
  ]
  assert shapes == [(4, 4, 1024), (14, 14, 1024)]


def _gflops(arg: str) -> list[float]:
  config = config_lib.load_config(f"configs/reclip/reclip.py:{arg}")
  out = io.StringIO()
  with contextlib.redirect_stdout(out):
    commands.flops(config, None, [])
  return [
      float(v)
      for v in re.findall(r"^gflops_per_example=(\S+)$", out.getvalue(), re.M)
  ]


@pytest.mark.parametrize(
    "arg,expected",
    [
        ("size=64", 7.3),
        ("size=80", 10.1),
        ("size=112", 24.8),
        ("clip224", 71.4),
    ],
)
def test_table_3_2_gflops(arg, expected):
  """Per-pair forward multiply-adds of the main phase (seed Table 3.2)."""
  gflops = _gflops(arg)
  assert gflops[0] == pytest.approx(expected, rel=0.02)


def test_config_options_and_errors():
  two = config_lib.load_config("configs/reclip/reclip.py:size=112,two_stage")
  assert [s.image_size for s in two.stages] == [112, 224, 448]
  mg = config_lib.load_config("configs/reclip/reclip.py:multigrid")
  assert [(s.batch_size * s.steps) for s in mg.stages] == [1_638_400_000] * 3
  masked = config_lib.load_config("configs/reclip/reclip.py:size=80,mask")
  assert masked.stages[0].image_size == 224
  assert masked.stages[0].mask_keep_tokens == 25
  with pytest.raises(config_lib.ConfigError, match="unknown options"):
    config_lib.load_config("configs/reclip/reclip.py:size=64,flip")
