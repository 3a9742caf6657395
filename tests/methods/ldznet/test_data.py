"""LD-ZNet inputs: batch layout, resumable stream, object-keeping crop, CLIPSeg
eval protocol (squash, fixed template, padding) and missing-data errors."""

import json

import numpy as np
from PIL import Image
from PIL import ImageDraw
import pytest

from jaxvision import config_lib
from jaxvision.core import method as method_lib
from jaxvision.core import sharding
from jaxvision.data import pp
from jaxvision.data import refseg
from jaxvision.data import synthetic_phrases
from jaxvision.methods.ldm import data as ldm_data
from jaxvision.methods.ldznet import data

TEXT_LEN = 16
# The PhraseCut fixture: a 40 x 120 image with the object at its right end.
OBJECT = [[100, 10], [115, 10], [115, 30], [100, 30]]


def _config(**data_overrides):
  config = config_lib.normalize(
      dict(
          data=dict(
              name="shapes_phrase",
              root="",
              image_size=64,
              train_size=24,
              test_size=10,
              seed=0,
              templates=True,
              template_list=synthetic_phrases.TEMPLATES,
              negative_prob=0.0,
              worker_count=0,
          ),
          eval=dict(datasets=dict(shapes=dict(kind="shapes_phrase"))),
          ldm=dict(
              tokenizer="",
              weights="",
              text_len=TEXT_LEN,
              text=dict(vocab_size=514),
          ),
          stages=[dict(steps=10, batch_size=8)],
      )
  )
  config.data.update(data_overrides)
  return config


def _train_data(config, seed=0):
  ctx = method_lib.stage_contexts(config, sharding.make_mesh(None))[0]
  return data.make_train_data(ctx, seed)


def _encode(texts):
  return ldm_data.tokenizer("", "").encode(list(texts), TEXT_LEN)


@pytest.fixture(name="phrasecut_root")
def _phrasecut_root(tmp_path):
  image = Image.new("RGB", (120, 40), (128, 128, 128))
  ImageDraw.Draw(image).polygon([tuple(p) for p in OBJECT], fill=(220, 30, 30))
  (tmp_path / "images").mkdir()
  image.save(tmp_path / "images" / "7.jpg", quality=95)
  task = {
      "image_id": 7,
      "phrase": "red box",
      "Polygons": [[OBJECT]],
      "task_id": "7__0",
  }
  for split in ("train", "test"):
    (tmp_path / f"refer_{split}.json").write_text(json.dumps([task]))
  return tmp_path


def test_train_batches_have_the_documented_layout():
  iterator = _train_data(_config())
  batches = [next(iterator) for _ in range(6)]
  batch = batches[0]
  assert batch["image"].shape == (8, 64, 64, 3)
  assert batch["image"].dtype == np.float32
  assert -1 <= batch["image"].min() and batch["image"].max() <= 1
  assert batch["mask"].shape == (8, 64, 64)
  assert batch["mask"].dtype == np.float32
  assert set(np.unique(batch["mask"])) == {0.0, 1.0}
  assert batch["tokens"].shape == (8, TEXT_LEN)
  assert batch["tokens"].dtype == np.int32
  assert batch["index"].dtype == np.int32
  # Two epochs of 24 records: every index epoch * 24 + record exactly once.
  indices = np.concatenate([b["index"] for b in batches])
  np.testing.assert_array_equal(np.sort(indices), np.arange(48))


def test_train_stream_resumes_from_its_state():
  iterator = _train_data(_config())
  next(iterator), next(iterator)
  state = iterator.get_state()
  expected = next(iterator)
  resumed = _train_data(_config())
  resumed.set_state(state)
  got = next(resumed)
  for key, value in expected.items():
    np.testing.assert_array_equal(got[key], value)


def test_negative_prob_empties_the_mask():
  batch = next(_train_data(_config(negative_prob=1.0)))
  assert not batch["mask"].any()


@pytest.mark.parametrize("shape", [(10, 30), (30, 10)])
def test_object_crop_falls_back_to_the_best_crop(shape):
  mask = np.zeros((10, 30), np.uint8)
  mask[5, 25] = 1  # covers 1% of any crop: below the 5% threshold
  mask = mask if shape == (10, 30) else mask.T
  for seed in range(10):
    top, left, side = data.object_crop(mask, np.random.default_rng(seed))
    assert side == 10
    assert mask[top : top + side, left : left + side].sum() == 1


def test_phrasecut_train_crop_keeps_the_object(phrasecut_root):
  config = _config(name="phrasecut", root=str(phrasecut_root), image_size=32)
  config.stages[0].batch_size = 2
  iterator = _train_data(config)
  for _ in range(4):  # one record: every example is another epoch's crop
    batch = next(iterator)
    for image, mask in zip(batch["image"], batch["mask"]):
      assert mask.mean() > 0.04
      assert image[mask > 0, 0].mean() > 0.5  # red object under the mask
      assert image[mask > 0, 1].mean() < -0.5


def test_shapes_eval_is_padded_with_a_fixed_template():
  config = _config()
  batches = list(data.make_eval_data(config, "shapes", batch_size=4))
  assert data.eval_names(config) == ["shapes"]
  assert len(batches) == 3
  valid = np.concatenate([b["valid"] for b in batches])
  np.testing.assert_array_equal(valid, [True] * 10 + [False] * 2)
  test = synthetic_phrases.generate(10, 1, 64)  # held-out seed 0 + 1
  masks = np.concatenate([b["mask"] for b in batches])[:10]
  np.testing.assert_array_equal(masks, test["mask"])
  tokens = np.concatenate([b["tokens"] for b in batches])[:10]
  first = synthetic_phrases.TEMPLATES[0]
  np.testing.assert_array_equal(
      tokens, _encode(first.format(p) for p in test["phrase"])
  )
  raw = next(data.make_eval_data(_config(templates=False), "shapes", 10))
  np.testing.assert_array_equal(raw["tokens"], _encode(test["phrase"]))


def test_phrasecut_eval_squashes_the_whole_image(phrasecut_root):
  config = _config(image_size=32)
  config.eval.datasets = {
      "pc": {"kind": "phrasecut", "root": str(phrasecut_root)}
  }
  batch = next(data.make_eval_data(config, "pc", batch_size=4))
  assert batch["image"].shape == (4, 32, 32, 3)
  np.testing.assert_array_equal(batch["valid"], [True, False, False, False])
  record = refseg.PhraseCut(phrasecut_root, "test")[0]
  expected = pp.resize(32, "nearest", keys="mask")(record, None)["mask"]
  np.testing.assert_array_equal(batch["mask"][0], expected)


def test_missing_phrasecut_root_names_the_layout(tmp_path):
  config = _config(name="phrasecut", root=str(tmp_path / "nowhere"))
  config.eval.datasets = {
      "pc": {"kind": "phrasecut", "root": str(tmp_path / "nowhere")}
  }
  with pytest.raises(FileNotFoundError, match="VGPhraseCut layout"):
    _train_data(config)
  with pytest.raises(FileNotFoundError, match="VGPhraseCut layout"):
    data.make_eval_data(config, "pc", batch_size=4)
