"""Tests for the synthetic shapes datasets (jaxvision.data.synthetic*)."""

import threading

import numpy as np
import pytest

from jaxvision.data import pp
from jaxvision.data import sources
from jaxvision.data import synthetic
from jaxvision.data import synthetic_shapes

ATTRS = synthetic.SHAPES_CAPTIONS_ATTRIBUTES
_RNG = np.random.default_rng(0)  # the ops used here are deterministic.


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
  """shapes_captions at its default sizes, built once.

  How long the build takes is measured by benchmarks/synthetic_build.py (a
  ratio in one process), not asserted here: a loaded CI machine is no
  measure of it.
  """
  data_dir = tmp_path_factory.mktemp("tfds")
  return synthetic.build("shapes_captions", data_dir), data_dir


def test_default_build_has_spec_sizes(default_build):
  builder, _ = default_build
  assert builder.info.splits["train"].num_examples == 20_000
  assert builder.info.splits["test"].num_examples == 1_000


def _decode(text) -> str:
  return text.decode() if isinstance(text, bytes) else str(text)


def test_labels_match_captions(default_build):
  _, data_dir = default_build
  source = sources.open("shapes_captions", "test", data_dir)
  synonyms = {v: k for k, v in synthetic_shapes.SYNONYMS.items()}
  dropped = {attr: 0 for attr in ("size", "fill", "colour", "shape")}
  for i in range(len(source)):
    ex = source[i]
    name = {attr: ATTRS[attr][int(ex[attr])] for attr in ATTRS}
    assert ex["image"].shape == (32, 32, 3) and ex["image"].dtype == np.uint8
    assert int(ex["quadrant"]) == 2 * int(ex["vpos"]) + int(ex["hpos"])
    assert _decode(ex["caption_full"]) == (
        f"a {name['size']} {name['fill']} {name['colour']} {name['shape']} "
        f"in the {name['vpos']} {name['hpos']}"
    )
    words = _decode(ex["caption"]).split()
    assert set(words) <= set(synthetic.SHAPES_CAPTIONS_WORDS)
    for attr in dropped:
      said = [
          synonyms.get(w, w) for w in words if synonyms.get(w, w) in ATTRS[attr]
      ]
      assert said in ([], [name[attr]]), (attr, words, name)
      dropped[attr] += not said
    for attr in ("vpos", "hpos"):
      said = [w for w in words if w in ATTRS[attr]]
      assert said in ([], [name[attr]]), (attr, words, name)
  for attr, count in dropped.items():
    assert 200 < count < 400, (attr, count)  # p = 0.3 of 1,000.


def test_images_match_labels():
  rng = np.random.default_rng(0)
  for _ in range(200):
    scene = synthetic_shapes.sample_scene(rng)
    image, mask = synthetic_shapes.render(scene, rng)
    ys, xs = np.nonzero(mask)
    assert (ys.mean() < 16) == (ATTRS["vpos"][scene.vpos] == "top")
    assert (xs.mean() < 16) == (ATTRS["hpos"][scene.hpos] == "left")
    colour = np.round(synthetic_shapes.COLOURS_RGB[scene.colour] * 255)
    inside = image[mask].astype(np.float64)
    if ATTRS["fill"][scene.fill] == "solid":
      np.testing.assert_array_equal(
          inside, np.broadcast_to(colour, inside.shape)
      )
    background = image[~mask].astype(np.float64)
    assert abs(background.mean() - 127.5) < 2.0
    assert 5.0 < background.std() < 10.0  # N(0, 0.03) * 255 = 7.65.
  small = sum(
      synthetic_shapes.render(
          synthetic_shapes.Scene(0, s, 0, 0, 0, 0, 10.0, 10.0), rng
      )[1].sum()
      for s in range(4)
  )
  large = sum(
      synthetic_shapes.render(
          synthetic_shapes.Scene(0, s, 1, 0, 0, 0, 10.0, 10.0), rng
      )[1].sum()
      for s in range(4)
  )
  assert large > 2.5 * small


def _pair(shape: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """(solid image, striped image, mask) of one large centred scene."""
  scenes = [
      synthetic_shapes.Scene(
          colour=4,
          shape=shape,
          size=1,
          fill=fill,
          vpos=0,
          hpos=0,
          centre_y=12.0,
          centre_x=12.0,
      )
      for fill in (0, 1)
  ]
  (solid, striped), masks = synthetic_shapes.render_batch(
      scenes, np.random.default_rng(0)
  )
  return solid, striped, masks[0]


@pytest.mark.parametrize("shape", range(4))
def test_area_downsample_averages_stripes_away(shape):
  solid, striped, mask = _pair(shape)
  to_float = pp.build("value_range(0, 1)")
  full_solid = to_float({"image": solid}, _RNG)["image"]
  full_striped = to_float({"image": striped}, _RNG)["image"]
  # At 32 px the stripes are plainly visible inside the object.
  assert np.abs(full_striped - full_solid)[mask].mean() > 0.2
  down = pp.build("value_range(0, 1)|resize(16, method='area')")
  low_solid = down({"image": solid}, _RNG)["image"]
  low_striped = down({"image": striped}, _RNG)["image"]
  # 2x2 blocks entirely inside the object average back to the solid colour.
  interior = mask.reshape(16, 2, 16, 2).all(axis=(1, 3))
  assert interior.sum() >= 4
  assert np.abs(low_striped - low_solid)[interior].max() < 2.5 / 255


def test_splits_are_disjoint_and_builds_deterministic(tmp_path):
  a = synthetic.build(
      "shapes_classes", tmp_path / "a", num_train=60, num_test=20
  )
  b = synthetic.build(
      "shapes_classes", tmp_path / "b", num_train=60, num_test=20
  )
  train, test = a.as_data_source("train"), a.as_data_source("test")
  again = b.as_data_source("train")
  for i in range(len(train)):
    np.testing.assert_array_equal(train[i]["image"], again[i]["image"])
  train_images = {train[i]["image"].tobytes() for i in range(len(train))}
  assert not train_images & {
      test[i]["image"].tobytes() for i in range(len(test))
  }
  labels = [int(train[i]["label"]) for i in range(len(train))]
  assert set(labels) == set(range(len(synthetic.SHAPES_CLASSES_NAMES)))


def test_local_build_does_not_claim_a_download(tmp_path, capfd):
  synthetic.build("shapes_classes", tmp_path, num_train=8, num_test=4)
  out = capfd.readouterr().out
  assert "Generating dataset shapes_classes locally" in out
  assert "ownload" not in out.replace("nothing is downloaded", "")


def test_size_mismatch_and_unknown_names(tmp_path):
  synthetic.build("shapes_classes", tmp_path, num_train=10, num_test=5)
  assert (
      synthetic.build("shapes_classes", tmp_path)
      .info.splits["train"]
      .num_examples
      == 10
  )
  with pytest.raises(ValueError, match="not the requested"):
    synthetic.build("shapes_classes", tmp_path, num_train=11)
  with pytest.raises(ValueError, match="Did you mean shapes_captions"):
    synthetic.build("shape_captions", tmp_path)
  with pytest.raises(ValueError, match="positive int"):
    synthetic.build("shapes_classes", tmp_path / "x", num_train=0)


def test_build_waits_for_another_builders_lock(tmp_path):
  results = []

  def build():
    results.append(
        synthetic.build("shapes_captions", tmp_path, num_train=50, num_test=10)
    )

  worker = threading.Thread(target=build)
  # pylint: disable-next=protected-access
  with synthetic._build_lock(str(tmp_path), "shapes_captions"):
    worker.start()
    worker.join(timeout=1.0)
    assert worker.is_alive()  # blocked on the lock ...
    assert not (tmp_path / "shapes_captions").exists()  # ... before building.
  worker.join(timeout=60)
  assert results[0].info.splits["train"].num_examples == 50
  assert len(sources.open("shapes_captions", "test", tmp_path)) == 10


def test_attribute_vocabularies():
  assert {k: len(v) for k, v in ATTRS.items()} == {
      "colour": 6,
      "shape": 4,
      "size": 2,
      "fill": 2,
      "vpos": 2,
      "hpos": 2,
      "quadrant": 4,
  }
  assert synthetic.SHAPES_CLASSES_NAMES == ATTRS["shape"]
  assert np.all(
      (synthetic_shapes.COLOURS_RGB >= 0.3)
      & (synthetic_shapes.COLOURS_RGB <= 0.7)
  )
