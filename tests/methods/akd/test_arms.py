"""AKD-GAN arms of seed 002 ch. 4 not covered by test_configs.py: the
second-last vs last residual block ablation of Table 4.12."""

import pytest

from jaxvision import config_lib

SPEC = "configs/akd/celeba.py"


def test_table_4_12_moves_both_attention_maps_to_the_second_last_block():
  last = config_lib.load_config(SPEC + ":student")
  second = config_lib.load_config(SPEC + ":student,block=second_last")
  assert (last.akd.teacher_block, last.akd.student_block) == (-1, -1)
  assert (second.akd.teacher_block, second.akd.student_block) == (-2, -2)
  # Everything else is the Table 4.2 model-A student.
  assert second.akd.enabled and second.data.attrs == last.data.attrs == [
      "Blond_Hair", "Goatee", "Eyeglasses", "Heavy_Makeup", "Pale_Skin"]
  assert second.model.to_dict() == last.model.to_dict()
  assert [s.steps for s in second.stages] == [100_000, 100_000]
  # The student's 6 residual blocks: -2 is the fifth, a real block.
  assert second.model.G.repeat_num == 6


def test_the_bare_word_selects_the_block_too():
  config = config_lib.load_config(SPEC + ":lite,second_last")
  assert (config.akd.teacher_block, config.akd.student_block) == (-2, -2)


@pytest.mark.parametrize("arg", ["teacher,block=second_last",
                                 "lite,noakd,block=second_last",
                                 "student,block=first"])
def test_block_needs_a_distilling_run_and_a_known_block(arg):
  with pytest.raises(config_lib.ConfigError):
    config_lib.load_config(f"{SPEC}:{arg}")
