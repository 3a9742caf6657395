"""The paper config's arms (Tables 4.6-4.11) load with their values."""

import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.data import expressions
from jaxvision.methods.akd import data
from jaxvision.methods.akd import method

SPEC = "configs/akd/celeba.py:"


def _load(arg):
  return config_lib.load_config(SPEC + arg)


def test_table_4_7_pairs_follow_the_table_columns():
  config = _load("pseudo,study=t47")
  assert config.model.G.conv_dim == 64 and config.model.G.repeat_num == 6
  assert config.akd.mode == "pseudo" and config.akd.enabled
  assert dict(config.akd.pair_map) == {
      "Black_Hair": "Brown_Hair",
      "High_Cheekbones": "Rosy_Cheeks",
      "Big_Nose": "Pointy_Nose",
      "Bushy_Eyebrows": "Arched_Eyebrows",
      "Wearing_Lipstick": "Big_Lips",
      "Pointy_Nose": "Big_Nose",
  }
  method.check_akd_config(config)
  teacher = _load("teacher,set=t47_teacher")
  assert list(teacher.data.attrs) == list(config.akd.teacher_attrs)
  assert not teacher.akd.enabled


@pytest.mark.parametrize("colour", ["Blond_Hair", "Black_Hair"])
def test_table_4_8_one_teacher_colour_for_three_student_colours(colour):
  study = "t48_" + colour.split("_")[0].lower()
  config = _load(f"pseudo,study={study}")
  assert list(config.data.attrs) == ["Blond_Hair", "Brown_Hair", "Gray_Hair"]
  assert list(config.akd.teacher_attrs) == [colour]
  assert set(config.akd.pair_map.values()) == {colour}
  assert config.model.G.conv_dim == 64
  method.check_akd_config(config)
  assert list(_load(f"teacher,set={study}").data.attrs) == [colour]


def test_table_4_9_default_pseudo_is_unchanged():
  config = _load("pseudo")
  assert config.model.G.conv_dim == 32 and config.model.G.repeat_num == 3
  assert list(config.data.attrs) == [
      "Brown_Hair",
      "Gray_Hair",
      "Bald",
      "Straight_Hair",
  ]
  assert dict(config.akd.pair_map) == {
      "Brown_Hair": "Black_Hair",
      "Gray_Hair": "Blond_Hair",
      "Bald": "Wearing_Hat",
      "Straight_Hair": "Wavy_Hair",
  }
  method.check_akd_config(config)


@pytest.mark.parametrize("arg", ["lite,noakd", "lite,set=t49_student,noakd"])
def test_lite_baselines_train_without_akd(arg):
  config = _load(arg)
  assert not config.akd.enabled and config.akd.teacher_ckpt == ""
  assert config.model.G.conv_dim == 32
  assert set(config.stages[0].optim) == {"gen", "disc"}


@pytest.mark.parametrize(
    "arg", ["teacher,data=rafd", "student,data=rafd", "lite,data=rafd,noakd"]
)
def test_rafd_arms_condition_on_the_eight_expressions(arg):
  config = _load(arg)
  assert config.data.name == "rafd" and config.data.label_type == "single"
  assert tuple(config.data.attrs) == expressions.EXPRESSIONS
  assert config.model.G.conv_dim == (32 if arg.startswith("lite") else 64)
  assert config.akd.enabled == arg.startswith("student")
  for train in (True, False):
    example = {
        "image": np.zeros((300, 280, 3), np.uint8),
        "label": np.int32(2),
        "attributes": np.eye(8, dtype=np.int32)[2],
    }
    out = data.pp_fn(config.data, train)(example, np.random.default_rng(0))
    assert set(out) == {"image", "attributes"}
    assert out["image"].shape == (128, 128, 3)


@pytest.mark.parametrize(
    "arg",
    [
        "teacher,noakd",
        "student,study=t47",
        "pseudo,set=A",
        "lite,set=C",
        "pseudo,x=1",
        "pseudo,data=rafd",
        "teacher,data=rafd,set=A",
        "teacher,data=mnist",
    ],
)
def test_bad_arguments_are_rejected(arg):
  with pytest.raises(config_lib.ConfigError):
    _load(arg)
