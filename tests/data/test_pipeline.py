"""Tests for jaxvision.data.pipeline and jaxvision.data.sources."""

import io
import json

import ml_collections
import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from jaxvision import user_errors
from jaxvision.data import pipeline
from jaxvision.data import pp
from jaxvision.data import sources
from jaxvision.data import synthetic

_PP = pp.build("random_crop(4)|flip_lr|value_range(0, 1)")


def _source(n: int) -> list[dict[str, np.ndarray]]:
  """Records whose image encodes the record id in every pixel."""
  return [
      {"image": np.full((6, 6, 3), i, np.uint8), "id": np.int64(i)}
      for i in range(n)
  ]


def _png(value: int) -> bytes:
  buf = io.BytesIO()
  Image.fromarray(np.full((6, 6, 3), value, np.uint8)).save(buf, "PNG")
  return buf.getvalue()


def _take(it: pipeline.DataIterator, n: int) -> list[dict[str, np.ndarray]]:
  return [next(it) for _ in range(n)]


def _assert_same(a: list[dict], b: list[dict]) -> None:
  assert len(a) == len(b)
  for x, y in zip(a, b):
    assert set(x) == set(y)
    for k in x:
      np.testing.assert_array_equal(x[k], y[k])


def test_batches_have_per_host_shapes():
  it = pipeline.make_iterator(
      _source(10), pp_fn=_PP, global_batch_size=4, seed=0
  )
  batch = next(it)
  assert batch["image"].shape == (4, 4, 4, 3)
  assert batch["image"].dtype == np.float32
  assert batch["id"].shape == (4,)
  np.testing.assert_allclose(batch["image"][:, 0, 0, 0], batch["id"] / 255)


def test_same_seed_same_batches_and_new_order_each_epoch():
  def make(seed):
    return pipeline.make_iterator(
        _source(12), pp_fn=_PP, global_batch_size=4, seed=seed
    )

  a, b = _take(make(3), 9), _take(make(3), 9)
  _assert_same(a, b)
  other = _take(make(4), 9)
  assert any(not np.array_equal(x["id"], y["id"]) for x, y in zip(a, other))
  epochs = [np.concatenate([x["id"] for x in a[i : i + 3]]) for i in (0, 3, 6)]
  for epoch in epochs:
    assert sorted(epoch.tolist()) == list(range(12))
  assert not np.array_equal(epochs[0], epochs[1])


def test_hosts_get_disjoint_examples_covering_the_data():
  seen = []
  for index in range(3):
    it = pipeline.make_iterator(
        _source(24),
        pp_fn=_PP,
        global_batch_size=6,
        seed=1,
        num_epochs=1,
        process_index=index,
        process_count=3,
    )
    batches = list(it)
    assert len(batches) == 4 and all(b["id"].shape == (2,) for b in batches)
    seen.append({int(i) for b in batches for i in b["id"]})
  assert set.union(*seen) == set(range(24))
  assert sum(len(s) for s in seen) == 24


def test_finite_stream_is_cut_to_whole_global_batches():
  it = pipeline.make_iterator(
      _source(10), pp_fn=_PP, global_batch_size=4, seed=0, num_epochs=1
  )
  assert len(list(it)) == 2


def test_state_round_trips_through_json():
  def make():
    return pipeline.make_iterator(
        _source(13), pp_fn=_PP, global_batch_size=4, seed=7
    )

  it = make()
  _take(it, 5)
  state = json.loads(json.dumps(it.get_state()))
  expected = _take(it, 6)
  resumed = make()
  resumed.set_state(state)
  _assert_same(_take(resumed, 6), expected)
  with pytest.raises(ValueError, match="Not a jaxvision data iterator state"):
    resumed.set_state({"next_index": 3})


def _corrupt_source(n: int, bad: set[int]) -> list[dict]:
  return [
      {"image": b"garbage" if i in bad else _png(i), "id": np.int64(i)}
      for i in range(n)
  ]


def test_host_iterators_fill_in_this_hosts_arguments(monkeypatch):
  calls = []
  monkeypatch.setattr(pipeline.jax, "process_index", lambda: 1)
  monkeypatch.setattr(pipeline.jax, "process_count", lambda: 2)
  monkeypatch.setattr(
      pipeline,
      "make_iterator",
      lambda source, **kw: calls.append(("train", kw)),
  )
  monkeypatch.setattr(
      pipeline,
      "make_eval_iterator",
      lambda source, **kw: calls.append(("eval", kw)),
  )
  data_cfg = ml_collections.ConfigDict({"worker_count": 3})
  pipeline.host_iterator(
      _source(8), data_cfg, pp_fn=_PP, seed=0, global_batch_size=4
  )
  pipeline.host_eval_iterator(_source(8), pp_fn=_PP, batch_size=4)
  host = dict(process_index=1, process_count=2)
  assert calls == [
      (
          "train",
          dict(host, worker_count=3, pp_fn=_PP, seed=0, global_batch_size=4),
      ),
      ("eval", dict(host, worker_count=0, pp_fn=_PP, batch_size=4)),
  ]


def test_host_iterator_on_one_host_is_make_iterator():
  kwargs = dict(pp_fn=_PP, global_batch_size=4, seed=3)
  _assert_same(
      _take(pipeline.host_iterator(_source(10), **kwargs), 4),
      _take(pipeline.make_iterator(_source(10), **kwargs), 4),
  )


def test_corrupt_records_are_skipped_and_counted():
  fn = pp.build("decode|value_range(0, 1)")
  it = pipeline.make_iterator(
      _corrupt_source(12, {3, 7}),
      pp_fn=fn,
      global_batch_size=2,
      seed=0,
      num_epochs=1,
      drop_remainder=False,
  )
  batches = list(it)
  ids = [int(i) for b in batches for i in b["id"]]
  assert sorted(ids) == [i for i in range(12) if i not in (3, 7)]
  assert it.num_corrupt == 2
  assert all(set(b) == {"image", "id"} for b in batches)


def test_corrupt_count_survives_resume():
  fn = pp.build("decode")

  def make():
    return pipeline.make_iterator(
        _corrupt_source(12, {0, 1, 2, 5}),
        pp_fn=fn,
        global_batch_size=2,
        seed=0,
        shuffle=False,
    )

  it = make()
  _take(it, 2)  # records 3, 4, 6, 7; skipped 0, 1, 2, 5.
  assert it.num_corrupt == 4
  state = json.loads(json.dumps(it.get_state()))
  resumed = make()
  resumed.set_state(state)
  assert resumed.num_corrupt == 4
  np.testing.assert_array_equal(next(resumed)["id"], [8, 9])


def test_skip_corrupt_false_raises_with_record_index():
  it = pipeline.make_iterator(
      _corrupt_source(6, {2}),
      pp_fn=pp.build("decode"),
      global_batch_size=2,
      seed=0,
      shuffle=False,
      skip_corrupt=False,
  )
  next(it)
  with pytest.raises(pp.CorruptRecordError, match="record 2"):
    next(it)


def test_worker_processes_give_the_same_batches(tmp_path):
  # A real TFDS source: it must pickle into grain's worker processes.
  synthetic.build("shapes_classes", tmp_path, num_train=30, num_test=4)
  source = sources.open("shapes_classes", "train", tmp_path)
  kwargs = dict(
      pp_fn=pp.build("random_crop(8)|flip_lr"), global_batch_size=4, seed=2
  )
  expected = _take(pipeline.make_iterator(source, **kwargs), 10)
  it = pipeline.make_iterator(source, worker_count=2, **kwargs)
  try:
    _assert_same(_take(it, 10), expected)
  finally:
    it.close()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(global_batch_size=5, process_count=2),
            "multiple of the 2 processes",
        ),
        (
            dict(global_batch_size=4, process_index=2, process_count=2),
            "process_index",
        ),
        (dict(global_batch_size=4, seed=-1), "seed"),
        (
            dict(global_batch_size=64, num_epochs=1),
            "less than one global batch",
        ),
    ],
)
def test_bad_arguments_raise(kwargs, match):
  kwargs = {"seed": 0, **kwargs}
  with pytest.raises(ValueError, match=match):
    pipeline.make_iterator(_source(10), pp_fn=_PP, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(global_batch_size=5, process_count=2),
        dict(seed=-1),
        dict(global_batch_size=64, num_epochs=1),
        dict(worker_count=-1),
    ],
)
def test_bad_config_values_are_input_errors(kwargs):
  # The user's to fix (one line, exit 2); process_index out of range is not.
  kwargs = {"seed": 0, "global_batch_size": 4, **kwargs}
  with pytest.raises(user_errors.InvalidValueError):
    pipeline.make_iterator(_source(10), pp_fn=_PP, **kwargs)


def test_empty_source_raises():
  with pytest.raises(ValueError, match="empty"):
    pipeline.make_iterator([], pp_fn=_PP, global_batch_size=2, seed=0)


# -- evaluation --------------------------------------------------------------


def test_eval_iterator_covers_every_example_once_in_order():
  fn = pp.build("central_crop(4)")
  batches = list(
      pipeline.make_eval_iterator(_source(10), pp_fn=fn, batch_size=4)
  )
  assert len(batches) == 3
  np.testing.assert_array_equal(
      np.concatenate([b["mask"] for b in batches]), [True] * 10 + [False] * 2
  )
  ids = np.concatenate([b["id"] for b in batches])
  np.testing.assert_array_equal(ids[:10], np.arange(10))
  assert batches[-1]["image"].shape == (4, 4, 4, 3)
  assert np.all(batches[-1]["image"][2:] == 0)


def test_eval_iterator_multi_host_lockstep_and_exact_cover():
  fn = pp.build("central_crop(4)")
  counts, seen = [], []
  for index in range(2):
    batches = list(
        pipeline.make_eval_iterator(
            _source(9),
            pp_fn=fn,
            batch_size=4,
            process_index=index,
            process_count=2,
        )
    )
    counts.append(len(batches))
    seen += [int(i) for b in batches for i in b["id"][b["mask"]]]
  assert counts == [3, 3]
  assert sorted(seen) == list(range(9))


def test_eval_iterator_masks_and_counts_corrupt_records():
  it = pipeline.make_eval_iterator(
      _corrupt_source(5, {1}), pp_fn=pp.build("decode"), batch_size=3
  )
  batches = list(it)
  mask = np.concatenate([b["mask"] for b in batches])
  np.testing.assert_array_equal(mask, [True, False, True, True, True, False])
  assert it.num_corrupt == 1
  with pytest.raises(ValueError, match="already has key 'mask'"):
    pipeline.make_eval_iterator(
        _source(3), pp_fn=pp.build("rename('id', 'mask')"), batch_size=2
    )


# -- sources -----------------------------------------------------------------


class TinyJpegs(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """A real-format dataset: JPEG-encoded Image feature, record 2 corrupt."""

  VERSION = tfds.core.Version("1.0.0")
  code_path = None  # see synthetic._ShapesBuilder.

  def _info(self) -> tfds.core.DatasetInfo:
    features = tfds.features.FeaturesDict(
        {
            "image": tfds.features.Image(shape=(None, None, 3)),
            "label": tfds.features.Scalar(np.int64),
        }
    )
    return tfds.core.DatasetInfo(builder=self, features=features)

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples()}

  def _generate_examples(self):
    for i in range(6):
      buf = io.BytesIO()
      Image.fromarray(np.full((40, 60, 3), 40 * i, np.uint8)).save(buf, "JPEG")
      data = buf.getvalue()[:50] if i == 2 else buf.getvalue()
      yield i, {"image": io.BytesIO(data), "label": i}


def test_open_real_format_dataset_decodes_in_pp(tmp_path):
  TinyJpegs(data_dir=tmp_path).download_and_prepare(file_format="array_record")
  assert len(sources.open("tiny_jpegs", "train[:50%]", tmp_path)) == 3
  source = sources.open("tiny_jpegs", "train", tmp_path)
  assert len(source) == 6
  assert isinstance(source[0]["image"], bytes)  # left encoded for pp.
  fn = pp.build("decode(reduce_to=20)|resize(8)|keep('image', 'label')")
  it = pipeline.make_iterator(
      source,
      pp_fn=fn,
      global_batch_size=2,
      seed=0,
      num_epochs=1,
      drop_remainder=False,
  )
  batches = list(it)
  assert sorted(int(i) for b in batches for i in b["label"]) == [0, 1, 3, 4, 5]
  assert batches[0]["image"].shape == (2, 8, 8, 3)
  assert it.num_corrupt == 1


def test_open_synthetic_builds_on_first_use(tmp_path):
  synthetic.build("shapes_classes", tmp_path, num_train=30, num_test=10)
  source = sources.open("shapes_classes", "train[:50%]", tmp_path)
  assert len(source) == 15
  assert source[0]["image"].shape == (32, 32, 3)


def test_synthetic_captions_end_to_end(tmp_path):
  synthetic.build("shapes_captions", tmp_path, num_train=40, num_test=8)
  source = sources.open("shapes_captions", "train", tmp_path)
  fn = pp.build(
      "decode|resize(16, method='area')|value_range(-1, 1)|"
      "keep('image', 'caption', 'colour')"
  )
  it = pipeline.make_iterator(source, pp_fn=fn, global_batch_size=8, seed=0)
  batch = next(it)
  assert batch["image"].shape == (8, 16, 16, 3)
  assert batch["caption"].shape == (8,) and batch["colour"].shape == (8,)
  assert all(c.startswith((b"a ", b"an ")) for c in batch["caption"])
  evaluation = list(
      pipeline.make_eval_iterator(
          sources.open("shapes_captions", "test", tmp_path),
          pp_fn=fn,
          batch_size=3,
      )
  )
  assert sum(int(b["mask"].sum()) for b in evaluation) == 8


def test_open_errors(tmp_path):
  with pytest.raises(FileNotFoundError, match="prepare-data --dataset=mnist"):
    sources.open("mnist", "train", tmp_path)
  with pytest.raises(FileNotFoundError, match="Did you mean mnist"):
    sources.open("mnsit", "train", tmp_path)
  synthetic.build("shapes_classes", tmp_path, num_train=8, num_test=4)
  with pytest.raises(ValueError, match="Did you mean test"):
    sources.open("shapes_classes", "tset", tmp_path)
  with pytest.raises(ValueError, match="is empty"):
    sources.open("shapes_classes", "test[:0]", tmp_path)


def test_image_decoders_skip_only_image_features():
  features = tfds.features.FeaturesDict(
      {
          "image": tfds.features.Image(shape=(None, None, 3)),
          "label": tfds.features.Scalar(np.int64),
      }
  )
  decoders = sources.image_decoders(features)
  assert set(decoders) == {"image"}
  assert isinstance(decoders["image"], tfds.decode.SkipDecoding)


def test_prepare_synthetic_returns_dataset_dir(tmp_path):
  path = sources.prepare("shapes_classes", tmp_path)
  assert path.endswith("shapes_classes/1.0.0")
  assert (tmp_path / "shapes_classes" / "1.0.0" / "dataset_info.json").exists()
  assert len(sources.open("shapes_classes", "train", tmp_path)) == 4_000
