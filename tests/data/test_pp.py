"""Tests for jaxvision.data.pp: parsing, each op's values, paired/clip ops."""

import io

import numpy as np
from PIL import Image
import pytest

from jaxvision import user_errors
from jaxvision.data import pp


def _encode(array: np.ndarray, fmt: str) -> bytes:
  buf = io.BytesIO()
  Image.fromarray(array).save(buf, fmt)
  return buf.getvalue()


def _rng(seed: int = 0) -> np.random.Generator:
  return np.random.default_rng(seed)


# -- parsing and building ----------------------------------------------------


def test_parse_literal_args_and_kwargs():
  specs = pp.parse("decode|resize(16, antialias=True)|keep('image', 'a|b')")
  assert specs == [
      ("decode", (), {}),
      ("resize", (16,), {"antialias": True}),
      ("keep", ("image", "a|b"), {}),
  ]


def test_unknown_op_suggests_close_name():
  with pytest.raises(ValueError, match="Did you mean resize"):
    pp.build("decode|resise(16)")


def test_registry_keeps_every_op_name():
  assert sorted(pp.OPS) == [
      "central_crop",
      "decode",
      "flip_lr",
      "keep",
      "random_crop",
      "rename",
      "resize",
      "resize_small",
      "value_range",
  ]


@pytest.mark.parametrize(
    "bad",
    ["decode|resise(16)", "resize(0)", "resize(8, method='cubic')", "keep()"],
)
def test_pp_errors_are_input_errors(bad):
  # One line at the CLI (exit 2), and still a ValueError for old callers.
  with pytest.raises(pp.PPError) as info:
    pp.build(bad)
  assert isinstance(info.value, user_errors.InputError)
  assert isinstance(info.value, ValueError)


def test_op_applied_to_a_missing_key_is_a_pp_error():
  with pytest.raises(pp.PPError, match="example has no key 'depth'"):
    pp.build("flip_lr(keys=('image', 'depth'), p=1.0)")(
        {"image": np.zeros((4, 4, 3), np.uint8)}, np.random.default_rng(0)
    )


def test_bad_arguments_name_the_signature():
  with pytest.raises(ValueError, match="signature is resize"):
    pp.build("resize(16, sizes=3)")


@pytest.mark.parametrize("bad", ["", "decode||flip_lr", "resize(x)", "a.b(1)"])
def test_malformed_pp_strings_raise(bad):
  with pytest.raises(ValueError):
    pp.build(bad)


def test_extra_ops_are_usable_and_cannot_shadow_builtins():
  def add_one(key="x"):
    return lambda ex, rng: {**ex, key: ex[key] + 1}

  fn = pp.build("add_one|add_one(key='x')", extra_ops={"add_one": add_one})
  assert fn({"x": 1}, _rng())["x"] == 3
  with pytest.raises(ValueError, match="shadows"):
    pp.build("resize(4)", extra_ops={"resize": add_one})


def test_ops_do_not_mutate_input():
  example = {"image": np.arange(16, dtype=np.uint8).reshape(4, 4), "y": 1}
  pp.build("flip_lr(p=1.0)|keep('image')")(example, _rng())
  assert set(example) == {"image", "y"}
  np.testing.assert_array_equal(example["image"], np.arange(16).reshape(4, 4))


# -- decode ------------------------------------------------------------------


def test_decode_png_is_exact_and_grayscale_keeps_channel_axis():
  image = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
  out = pp.build("decode")({"image": _encode(image, "PNG")}, _rng())
  np.testing.assert_array_equal(out["image"], image)
  gray = pp.build("decode(channels=1)")(
      {"image": _encode(image, "PNG")}, _rng()
  )
  assert gray["image"].shape == (5, 7, 1)


def test_decode_jpeg_at_reduced_size():
  image = np.full((192, 256, 3), 100, np.uint8)
  data = _encode(image, "JPEG")
  full = pp.build("decode")({"image": data}, _rng())["image"]
  small = pp.build("decode(reduce_to=48)")({"image": data}, _rng())["image"]
  assert full.shape == (192, 256, 3)
  # min(256 // 48, 192 // 48) = 4 -> DCT scale 1/4; shorter side stays >= 48.
  assert small.shape == (48, 64, 3)
  assert abs(int(small.mean()) - 100) <= 2


@pytest.mark.parametrize(
    "data", [b"", b"not an image at all", b"\xff\xd8\xff\xe0garbage"]
)
def test_decode_corrupt_bytes_raises_corrupt_record_error(data):
  with pytest.raises(pp.CorruptRecordError):
    pp.build("decode")({"image": data}, _rng())


def test_decode_truncated_jpeg_raises():
  data = _encode(np.zeros((64, 64, 3), np.uint8), "JPEG")
  with pytest.raises(pp.CorruptRecordError):
    pp.build("decode")({"image": data[: len(data) // 2]}, _rng())


def test_decode_passes_decoded_arrays_and_stacks_clips():
  image = np.ones((4, 4, 3), np.uint8)
  assert pp.build("decode")({"image": image}, _rng())["image"] is image
  frames = [_encode(np.full((4, 6, 3), v, np.uint8), "PNG") for v in (0, 9)]
  clip = pp.build("decode")({"image": np.array(frames, dtype=object)}, _rng())[
      "image"
  ]
  assert clip.shape == (2, 4, 6, 3)
  np.testing.assert_array_equal(clip[:, 0, 0, 0], [0, 9])


# -- resize ------------------------------------------------------------------


def test_area_resize_is_block_mean():
  image = np.array(
      [[0, 2, 4, 6], [2, 4, 6, 8], [10, 10, 0, 0], [10, 10, 0, 0]], np.float32
  )
  out = pp.build("resize(2, method='area')")({"image": image}, _rng())
  np.testing.assert_allclose(out["image"], [[2, 6], [10, 0]])
  assert out["image"].dtype == np.float32


def test_resize_uint8_rgb_keeps_dtype_and_constant_value():
  image = np.full((8, 8, 3), 77, np.uint8)
  out = pp.build("resize(4)")({"image": image}, _rng())["image"]
  assert out.dtype == np.uint8 and out.shape == (4, 4, 3)
  assert np.all(out == 77)


def test_resize_without_antialias_samples_pixel_centres():
  row = np.array([[0, 10, 20, 30]], np.float32)
  out = pp.build("resize((1, 2), antialias=False)")({"image": row}, _rng())
  # Output centres map to input positions 0.5 and 2.5.
  np.testing.assert_allclose(out["image"], [[5.0, 25.0]])


def test_paired_resize_uses_nearest_for_masks():
  image = np.zeros((4, 4, 3), np.uint8)
  mask = np.array(
      [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]], np.int32
  )
  fn = pp.build("resize(2, keys=('image', 'mask'), nearest=('mask',))")
  out = fn({"image": image, "mask": mask}, _rng())
  np.testing.assert_array_equal(out["mask"], [[1, 2], [3, 4]])
  assert out["mask"].dtype == np.int32


def test_resize_rejects_integer_maps_without_nearest():
  with pytest.raises(ValueError, match="nearest"):
    pp.build("resize(2, keys=('mask',))")(
        {"mask": np.zeros((4, 4), np.int32)}, _rng()
    )
  with pytest.raises(ValueError, match="not in keys"):
    pp.build("resize(2, nearest=('mask',))")


def test_resize_small_keeps_aspect_ratio():
  out = pp.build("resize_small(10)")(
      {"image": np.zeros((20, 40, 3), np.uint8)}, _rng()
  )
  assert out["image"].shape == (10, 20, 3)


# -- crops and flips ---------------------------------------------------------


def test_central_crop_values():
  image = np.arange(36).reshape(6, 6)
  out = pp.build("central_crop((2, 4))")({"image": image}, _rng())
  np.testing.assert_array_equal(out["image"], image[2:4, 1:5])
  with pytest.raises(ValueError, match="larger than the input"):
    pp.build("central_crop(8)")({"image": image}, _rng())


def test_random_crop_same_window_for_paired_keys():
  image = np.random.default_rng(0).integers(0, 255, (10, 12, 3), np.uint8)
  depth = image[..., 0].astype(np.float32)
  fn = pp.build("random_crop(4, keys=('image', 'depth'))")
  offsets = set()
  for seed in range(20):
    out = fn({"image": image, "depth": depth}, _rng(seed))
    np.testing.assert_array_equal(out["depth"], out["image"][..., 0])
    # Locate the window to check it is a true crop of the input.
    top, left = next(
        (t, l)
        for t in range(7)
        for l in range(9)
        if np.array_equal(image[t : t + 4, l : l + 4], out["image"])
    )
    offsets.add((top, left))
  assert len(offsets) > 5  # the window moves with the rng.
  again = fn({"image": image, "depth": depth}, _rng(3))
  np.testing.assert_array_equal(
      again["image"], fn({"image": image, "depth": depth}, _rng(3))["image"]
  )


def test_random_crop_same_window_for_every_clip_frame():
  base = np.random.default_rng(0).integers(0, 100, (8, 8, 1), np.int64)
  clip = np.stack([base + 1000 * t for t in range(5)])  # (T, H, W, C)
  for seed in range(5):
    out = pp.build("random_crop(3)")({"image": clip}, _rng(seed))["image"]
    assert out.shape == (5, 3, 3, 1)
    for t in range(5):
      np.testing.assert_array_equal(out[t] - 1000 * t, out[0])


def test_paired_keys_must_share_size():
  with pytest.raises(ValueError, match="share one spatial size"):
    pp.build("random_crop(2, keys=('image', 'mask'))")(
        {"image": np.zeros((4, 4, 3)), "mask": np.zeros((8, 8))}, _rng()
    )


def test_flip_lr_paired_and_normals_negated():
  image = np.arange(6, dtype=np.float32).reshape(1, 3, 2)
  normals = np.stack(
      [np.array([[0.5, 0.0, -0.5]]), np.zeros((1, 3)), np.ones((1, 3))], axis=-1
  ).astype(np.float32)
  fn = pp.build(
      "flip_lr(keys=('image', 'normals'), p=1.0, " "negate_x=('normals',))"
  )
  out = fn({"image": image, "normals": normals}, _rng())
  np.testing.assert_array_equal(out["image"], image[:, ::-1])
  np.testing.assert_array_equal(out["normals"][0, :, 0], [0.5, 0.0, -0.5])
  np.testing.assert_array_equal(out["normals"][..., 2], normals[..., 2])
  untouched = pp.build("flip_lr(p=0.0)")({"image": image}, _rng())
  np.testing.assert_array_equal(untouched["image"], image)


def test_flip_lr_same_decision_for_all_keys_and_frames():
  clip = np.arange(2 * 1 * 4 * 1).reshape(2, 1, 4, 1)
  fn = pp.build("flip_lr(keys=('clip', 'mask'))")
  flips = []
  for seed in range(16):
    out = fn({"clip": clip, "mask": clip[0, ..., 0]}, _rng(seed))
    flipped = not np.array_equal(out["clip"], clip)
    flips.append(flipped)
    np.testing.assert_array_equal(out["mask"], out["clip"][0, ..., 0])
    if flipped:
      np.testing.assert_array_equal(out["clip"], clip[:, :, ::-1])
  assert any(flips) and not all(flips)


# -- value range, keep, rename -----------------------------------------------


def test_value_range_hand_values():
  image = np.array([0, 51, 255], np.uint8)
  out = pp.build("value_range(-1, 1)")({"image": image}, _rng())["image"]
  assert out.dtype == np.float32
  np.testing.assert_allclose(out, [-1.0, -0.6, 1.0], atol=1e-6)
  unit = pp.build("value_range(0, 1)")({"image": image}, _rng())["image"]
  np.testing.assert_allclose(unit, [0.0, 0.2, 1.0], atol=1e-6)


def test_keep_and_rename():
  example = {"image": 1, "caption": 2, "caption_full": 3}
  out = pp.build("rename('caption_full', 'caption')|keep('image', 'caption')")(
      example, _rng()
  )
  assert out == {"image": 1, "caption": 3}
  with pytest.raises(ValueError, match="has no key 'label'"):
    pp.build("keep('label')")(example, _rng())


def test_full_chain_shapes_and_determinism():
  image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), np.uint8)
  example = {"image": _encode(image, "JPEG"), "caption": b"a cat", "id": 7}
  fn = pp.build(
      "decode|resize_small(36)|random_crop(32)|flip_lr|"
      "resize(16, antialias=True)|value_range(-1, 1)|"
      "keep('image', 'caption')"
  )
  out = fn(example, _rng(5))
  assert set(out) == {"image", "caption"}
  assert out["image"].shape == (16, 16, 3) and out["image"].dtype == np.float32
  assert -1.0 <= out["image"].min() and out["image"].max() <= 1.0
  np.testing.assert_array_equal(out["image"], fn(example, _rng(5))["image"])
