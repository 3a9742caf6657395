"""RECLIP paper arms of Tables 3.1, 3.8 and 3.9 (config loads, no training).

The numbers asserted are the text's (seed 002 ch. 3): Table 3.9's 112 -> 448
arm trains 300k steps at 112 then 50k at 448; Table 3.8's multigrid is
compared with RECLIP-112 (text length 64); Table 3.1 reports ImageNet-A, -R,
-V2 and -Sketch next to ImageNet.
"""

import pytest

from jaxvision import assets
from jaxvision import config_lib
from jaxvision.data import image_text
from jaxvision.methods.reclip import evaluate

SPEC = "configs/reclip/reclip.py"
INET_VARIANTS = ("imagenet_a", "imagenet_r", "imagenet_v2", "imagenet_sketch")


def _schedule(config):
  return [
      (s.image_size, s.steps, s.batch_size, s.text_len) for s in config.stages
  ]


def test_table_3_9_one_stage_arm_trains_300k_at_112_then_50k_at_448():
  one = config_lib.load_config(SPEC + ":size=112,ft448,main_steps=300000")
  assert _schedule(one) == [
      (112, 300_000, 16_384, 64),
      (448, 50_000, 16_384, 64),
  ]
  two = config_lib.load_config(SPEC + ":two_stage")
  assert _schedule(two) == [
      (112, 300_000, 16_384, 64),
      (224, 40_000, 16_384, 64),
      (448, 40_000, 16_384, 64),
  ]


def test_main_steps_leaves_the_default_schedules_alone():
  assert config_lib.load_config(SPEC + ":size=112").stages[0].steps == 250_000
  assert (
      config_lib.load_config(SPEC + ":size=112,long").stages[0].steps == 550_000
  )


def test_table_3_8_multigrid_keeps_the_text_length_of_reclip_112():
  multigrid = config_lib.load_config(SPEC + ":multigrid")
  constant = config_lib.load_config(SPEC + ":size=112")
  assert _schedule(multigrid) == [
      (112, 25_000, 65_536, 64),
      (160, 50_000, 32_768, 64),
      (224, 100_000, 16_384, 64),
  ]
  assert {s.text_len for s in multigrid.stages} == {constant.stages[0].text_len}
  short = config_lib.load_config(SPEC + ":multigrid,text_len=16")
  assert {s.text_len for s in short.stages} == {16}


def test_table_3_1_evaluates_the_imagenet_variants_from_local_folders():
  config = config_lib.load_config(SPEC + ":size=64")
  for name in INET_VARIANTS:
    cfg = config.evals[name]
    assert (cfg.type, cfg.name, cfg.path) == (
        "imagenet_folder",
        name,
        f"~/data/{name}",
    )
    assert cfg.pp == config.data.pp_eval
  wnids = str(assets.path("imagenet_wnids.txt"))
  assert config.evals.imagenet_a.class_index_file == wnids
  assert config.evals.imagenet_r.class_index_file == wnids
  assert config.evals.imagenet_sketch.class_index_file == wnids
  assert config.evals.imagenet_v2.class_index_file == str(
      assets.path("imagenet_v2_class_index.txt")
  )
  plain = config_lib.load_config(SPEC + ":size=64,inet_variants=false")
  assert set(plain.evals) == {"imagenet", "coco", "flickr30k"}


def _folder(root, names):
  for name in names:
    (root / name).mkdir(parents=True)
    (root / name / "x.jpg").write_bytes(b"not decoded here")
  return root


def test_vendored_wnids_put_imagenet_a_folders_in_the_1000_class_space(
    tmp_path,
):
  wnids = assets.path("imagenet_wnids.txt").read_text().split()
  assert len(wnids) == len(set(wnids)) == 1000 and wnids == sorted(wnids)
  assert wnids[0] == "n01440764" and wnids[-1] == "n15075141"
  # ImageNet-A's first classes (goldfish n01443537, great white shark
  # n01484850 are ImageNet classes 1 and 2).
  source = image_text.ImageFolder(
      _folder(tmp_path, ["n01484850", "n01443537"]),
      class_index_file=assets.path("imagenet_wnids.txt"),
  )
  assert source.class_subset.tolist() == [1, 2]


def test_imagenet_v2_index_folders_keep_their_numeric_labels(tmp_path):
  source = image_text.ImageFolder(
      _folder(tmp_path, ["0", "10", "2", "999"]),
      class_index_file=assets.path("imagenet_v2_class_index.txt"),
  )
  assert source.class_subset.tolist() == [0, 2, 10, 999]


def test_a_missing_variant_folder_is_the_clear_pre_training_error():
  config = config_lib.load_config(
      SPEC + ":size=64",
      ["evals.imagenet.path=/", "evals.imagenet_a.path=/no/such/imagenet-a"],
  )
  for name in ("coco", "flickr30k"):
    del config.evals[name]
  with pytest.raises(
      FileNotFoundError,
      match=r"evals\.imagenet_a\.path='/no/such/imagenet-a' "
      r"is not a directory",
  ):
    evaluate.check_inputs(config)
