"""The paper configs' ablation arms load with the stated values."""

import jax
import jax.numpy as jnp
import pytest

from jaxvision import config_lib
from jaxvision.core import optim
from jaxvision.methods.violence import method
from jaxvision.methods.violence import model as model_lib
from jaxvision.models import convlstm

SPEC = "configs/violence/biconvlstm.py:"


def test_convlstm_arm_has_512_channels_and_keeps_the_recipe():
  config = config_lib.load_config(
      SPEC + "violentflows_spatiotemporal_nobn_convlstm"
  )
  base = config_lib.load_config(SPEC + "violentflows_spatiotemporal_nobn")
  assert config.model.temporal == "convlstm"
  assert config.model.convlstm.hidden == 512
  assert base.model.temporal == "" and base.model.convlstm.hidden == 256
  for key in ("data", "loss", "eval"):
    assert config[key].to_dict() == base[key].to_dict()
  assert config.stages[0].to_dict() == base.stages[0].to_dict()
  assert not config.model.use_batchnorm
  net = model_lib.build(config)
  assert (net.temporal, net.hidden) == ("convlstm", 512)
  ctx = type("Ctx", (), {"config": config})
  params = jax.eval_shape(lambda: method.init(ctx, jax.random.key(0)))[0][
      "model"
  ]
  # One direction, no fusion conv: conv over [512 input, 512 hidden] -> 4 x
  # 512 gates, 3x3; the classifier still sees 14x14x512 = 100,352 values.
  assert optim.count_params(params["temporal_0"]) == (
      (512 + 512) * 9 * 2048 + 2048
  )
  assert params["classifier"]["fc_0"]["kernel"].shape == (100_352, 1000)


def test_convlstm_output_is_14x14x512():
  maps = jax.ShapeDtypeStruct((1, 3, 14, 14, 512), jnp.float32)
  cell = convlstm.ConvLSTM(hidden=512, kernel=3)
  out = jax.eval_shape(
      lambda x: cell.apply(cell.init(jax.random.key(0), x), x), maps
  )
  assert out.shape == (1, 3, 14, 14, 512)


@pytest.mark.parametrize(
    "arg", ["hockey_spatial_convlstm", "violentflows_convlstm"]
)
def test_convlstm_needs_the_spatiotemporal_encoder(arg):
  with pytest.raises(config_lib.ConfigError, match="_convlstm"):
    config_lib.load_config(SPEC + arg)
