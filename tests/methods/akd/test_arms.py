"""AKD-GAN arms of seed 002 ch. 4 not covered by test_configs.py: the
second-last vs last residual block ablation of Table 4.12, and the paper's
ResNet-50 attribute classifier (section 4.4.3) next to the smoke's CNN."""

import jax
import ml_collections
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.methods.akd import classifier as classifier_lib
from jaxvision.methods.akd import evaluate

SPEC = "configs/akd/celeba.py"


def test_table_4_12_moves_both_attention_maps_to_the_second_last_block():
  last = config_lib.load_config(SPEC + ":student")
  second = config_lib.load_config(SPEC + ":student,block=second_last")
  assert (last.akd.teacher_block, last.akd.student_block) == (-1, -1)
  assert (second.akd.teacher_block, second.akd.student_block) == (-2, -2)
  # Everything else is the Table 4.2 model-A student.
  assert second.akd.enabled and second.data.attrs == last.data.attrs == [
      "Blond_Hair",
      "Goatee",
      "Eyeglasses",
      "Heavy_Makeup",
      "Pale_Skin",
  ]
  assert second.model.to_dict() == last.model.to_dict()
  assert [s.steps for s in second.stages] == [100_000, 100_000]
  # The student's 6 residual blocks: -2 is the fifth, a real block.
  assert second.model.G.repeat_num == 6


def test_the_bare_word_selects_the_block_too():
  config = config_lib.load_config(SPEC + ":lite,second_last")
  assert (config.akd.teacher_block, config.akd.student_block) == (-2, -2)


@pytest.mark.parametrize(
    "arg",
    [
        "teacher,block=second_last",
        "lite,noakd,block=second_last",
        "student,block=first",
    ],
)
def test_block_needs_a_distilling_run_and_a_known_block(arg):
  with pytest.raises(config_lib.ConfigError):
    config_lib.load_config(f"{SPEC}:{arg}")


def test_paper_configs_score_with_resnet50_and_the_smoke_with_the_cnn():
  for arg in (
      "teacher",
      "student",
      "lite",
      "pseudo,study=t47",
      "teacher,data=rafd",
  ):
    assert (
        config_lib.load_config(f"{SPEC}:{arg}").eval.classifier_arch
        == "resnet50"
    )
  smoke = config_lib.load_config("configs/akd/smoke.py")
  assert smoke.eval.classifier_arch == "cnn"


def test_resnet50_classifier_is_torchvision_resnet50_with_a_k_way_head():
  net = classifier_lib.build_net("resnet50", 5, ())
  shapes = jax.eval_shape(
      net.init,
      jax.random.key(0),
      jax.ShapeDtypeStruct((1, 128, 128, 3), np.float32),
  )
  params = sum(np.prod(x.shape) for x in jax.tree.leaves(shapes["params"]))
  # torchvision resnet50: 25,557,032 with the 1000-way fc (2048 x 1000 +
  # 1000); a 5-way head has 2048 x 5 + 5.
  assert params == 25_557_032 - 2_049_000 + 10_245
  assert "batch_stats" in shapes


def _faces(n, seed):
  """Random images and labels (top half bright when attribute 0 is set)."""
  rng = np.random.default_rng(seed)
  labels = rng.integers(0, 2, (n, 2)).astype(np.float32)
  images = rng.uniform(-1, -0.5, (n, 16, 16, 3)).astype(np.float32)
  images[labels[:, 0] == 1, :8] += 1.4
  return images, labels


@pytest.mark.slow  # about 1 min on 2 CPU cores: ResNet-50's compile
def test_a_small_resnet50_trains_saves_loads_and_is_checked(tmp_path):
  images, labels = _faces(64, 0)
  clf = classifier_lib.train(
      images,
      labels,
      ["Bright", "Noise"],
      steps=3,
      batch_size=32,
      lr=1e-3,
      arch="resnet50",
      widths=(8, 8, 8, 16, 16),
  )
  # Training updates the BatchNorm running statistics (init: mean 0).
  assert np.abs(clf.params["batch_stats"]["bn1"]["mean"]).max() > 0
  path = clf.save(str(tmp_path / "clf.npz"))
  loaded = classifier_lib.load(path)
  assert (loaded.arch, loaded.widths) == ("resnet50", (8, 8, 8, 16, 16))
  test_images, _ = _faces(8, 1)
  logits = jax.jit(loaded.logits_fn())(loaded.params, test_images)
  assert loaded.decisions(np.asarray(logits)).shape == (8, 2)
  np.testing.assert_allclose(
      logits, jax.jit(clf.logits_fn())(clf.params, test_images), atol=1e-5
  )
  config = ml_collections.ConfigDict(
      dict(
          data=dict(name="celeba_folder", attrs=["Bright", "Noise"]),
          eval=dict(classifier_ckpt=path, classifier_arch="resnet50"),
      )
  )
  assert evaluate.attribute_classifier(config).arch == "resnet50"
  config.eval.classifier_arch = "cnn"
  with pytest.raises(ValueError, match="holds a 'resnet50' classifier"):
    evaluate.attribute_classifier(config)
