"""RECLIP's config argument and `config_lib.parse_arg`, which parses it.

Every config file with an argument declares its options with `parse_arg`;
RECLIP's has all the kinds (flags, typed values, defaults that depend on other
options), so the parser's behaviour is pinned here on it and on a small spec.
"""

import pytest

from jaxvision import config_lib

SPEC = "configs/reclip/reclip.py"


def _parse(arg, **spec):
  return config_lib.parse_arg(arg, **spec).to_dict()


def test_flags_typed_values_and_defaults():
  assert _parse(
      "size=80,ft448", size=(None, int), ft448=False, long=False, batch=16_384
  ) == dict(size=80, ft448=True, long=False, batch=16_384)
  assert _parse(None, size=(None, int), ratio=0.5) == dict(size=None, ratio=0.5)
  assert _parse("ratio=1,flag=false", ratio=0.5, flag=True) == dict(
      ratio=1.0, flag=False
  )


def test_one_of_takes_the_bare_choice_or_key_value():
  spec = dict(
      kind=config_lib.one_of("teacher", "student", default="teacher"),
      T=config_lib.one_of(4, 8, 16, default=16),
  )
  assert _parse("student,8", **spec) == dict(kind="student", T=8)
  assert _parse("kind=student,T=4", **spec) == dict(kind="student", T=4)
  assert _parse("", **spec) == dict(kind="teacher", T=16)
  with pytest.raises(config_lib.ConfigError, match="not one of 4|8|16"):
    _parse("T=5", **spec)


def test_a_word_two_options_offer_is_ambiguous():
  with pytest.raises(config_lib.ConfigError, match="ambiguous.*write a=x"):
    _parse("x", a=config_lib.one_of("x", "y"), b=config_lib.one_of("x", "z"))


@pytest.mark.parametrize(
    "arg,match",
    [
        (
            "size=64,flip,sise=80",
            r"unknown options \['flip', 'sise=80'\]\. "
            r"Did you mean size\? Known: size=<int>, ft448",
        ),
        ("size", r"'size' needs a value \(size=\.\.\.\)"),
        ("size=big", r"size='big' must be of type int"),
        ("ft448,ft448", "'ft448' is given twice"),
    ],
)
def test_bad_arguments_name_the_problem_and_the_known_options(arg, match):
  with pytest.raises(config_lib.ConfigError, match=match):
    _parse(arg, size=(None, int), ft448=False)


def test_reclip_defaults_follow_the_options():
  default = config_lib.load_config(SPEC)
  assert [(s.image_size, s.text_len) for s in default.stages] == [
      (64, 16),
      (224, 16),
  ]
  # Table 3.9's two-stage schedule starts at 112 unless size= is given.
  two = config_lib.load_config(SPEC + ":two_stage")
  assert [s.image_size for s in two.stages] == [112, 224, 448]
  small = config_lib.load_config(
      SPEC + ":size=112,text_len=16,batch=4096," "no_finetune"
  )
  assert [(s.image_size, s.text_len, s.batch_size) for s in small.stages] == [
      (112, 16, 4096)
  ]


def test_unknown_reclip_option_is_a_config_error_listing_the_options():
  with pytest.raises(
      config_lib.ConfigError,
      match=r"unknown options \['ft488'\]\. Did you mean "
      r"ft448\?.*text_len=<int>, mask, no_finetune",
  ):
    config_lib.load_config(SPEC + ":size=64,ft488")
