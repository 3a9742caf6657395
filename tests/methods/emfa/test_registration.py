"""Algorithm 1: affine solver, anchor fall-back, registration, energy image."""

import numpy as np
import pytest

from jaxvision.methods.emfa import clip_features
from jaxvision.methods.emfa import keypoints as kp_lib
from jaxvision.methods.emfa import registration


def _pose(hip, valid_hips=True):
  """Fused joints of an upright player whose hip midpoint is `hip`."""
  hip = np.asarray(hip, np.float64)
  named = {
      "LHip": hip + [-2, 0],
      "RHip": hip + [2, 0],
      "MidHip": hip,
      "LShoulder": hip + [-3, -10],
      "RShoulder": hip + [3, -10],
      "Neck": hip + [0, -10],
      "LKnee": hip + [-2, 6],
      "RKnee": hip + [2, 6],
  }
  joints = np.zeros((len(kp_lib.JOINTS), 3), np.float32)
  for name, xy in named.items():
    joints[kp_lib.J[name]] = (*xy, 1.0)
  if not valid_hips:
    for name in ("LHip", "RHip", "MidHip"):
      joints[kp_lib.J[name]] = 0
  return joints


def _mask(hip, size=48):
  """A rectangle body around the hip, plus an off-centre blob (a ball)."""
  m = np.zeros((size, size), np.float32)
  x, y = int(hip[0]), int(hip[1])
  m[y - 12 : y + 7, x - 3 : x + 3] = 1
  m[y + 4 : y + 8, x + 5 : x + 9] = 1
  return m


def test_affine_solver_recovers_matrix_and_hip_midpoint():
  rng = np.random.default_rng(0)
  for _ in range(20):
    matrix = rng.normal(size=(2, 3))
    matrix[:, :2] += np.eye(2) * 2  # keep it well conditioned
    src = rng.uniform(0, 100, (3, 2))
    dst = src @ matrix[:, :2].T + matrix[:, 2]
    np.testing.assert_allclose(
        registration.solve_affine(src, dst), matrix, atol=1e-5
    )
  # Eq. 2.1 direction: T_A maps frame j onto the reference frame k, so the
  # image of frame j's hip midpoint is the reference hip midpoint.
  k, j = _pose((20, 20)), _pose((31, 14))
  tri_k, tri_j = registration.triangle(k), registration.triangle(j)
  t_a = registration.solve_affine(tri_j, tri_k)
  c_j = registration.anchor(j, "hips")
  np.testing.assert_allclose(
      t_a @ [*c_j, 1], registration.anchor(k, "hips"), atol=1e-6
  )
  with pytest.raises(ValueError, match="Degenerate"):
    registration.solve_affine([[0, 0], [1, 1], [2, 2]], np.eye(3, 2))


def _iou(a, b):
  a, b = a > 0.5, b > 0.5
  return (a & b).sum() / (a | b).sum()


def test_translation_fast_path_equals_general_warp():
  image = np.random.default_rng(0).random((20, 30)).astype(np.float32)
  for dx, dy in ((3.25, -2.5), (-7.0, 4.75), (40.0, 0.0)):
    matrix = np.array([[1, 0, dx], [0, 1, dy]], np.float64)
    general = registration._gather(image, matrix, (25, 33))  # pylint: disable=protected-access
    np.testing.assert_allclose(
        registration.warp(image, matrix, (25, 33)), general, atol=1e-5
    )


def test_translation_registration_cancels_camera_motion():
  offsets = [(0, 0), (5, -3), (-6, 4), (3, 7), (-4, -5)]
  hips = [(24 + dx, 26 + dy) for dx, dy in offsets]
  masks = np.stack([_mask(h) for h in hips])
  joints = np.stack([_pose(h) for h in hips])
  out = registration.register(masks, joints, mode="translation", pad=0.5)
  reference = registration.warp(
      masks[0], np.array([[1, 0, 24], [0, 1, 24]], np.float64), (96, 96)
  )
  assert out["reference"] == 0 and out["used"].all()
  assert _iou(out["energy"], reference) > 0.95
  unregistered = registration.register(masks, joints, mode="none")
  assert _iou(unregistered["energy"], reference) < 0.5
  # Energy values stay fractional averages (not re-binarised).
  assert 0 < unregistered["energy"].max() <= 1
  assert np.isclose(
      sorted(set(np.round(unregistered["energy"].ravel(), 3)))[1], 0.2
  )


def test_fallback_uses_the_same_anchor_type_in_both_frames():
  k, j = _pose((20, 20)), _pose((30, 25), valid_hips=False)
  kind, a_j, a_k = registration.matched_anchors(j, k)
  assert kind == "shoulders"
  np.testing.assert_allclose(a_j, [30, 15])
  np.testing.assert_allclose(a_k, [20, 10])
  hips = [(20, 20), (30, 25)]
  masks = np.stack([_mask(h) for h in hips])
  out = registration.register(masks, np.stack([k, j]))
  # Shoulder anchors line up exactly as hip anchors would for a rigid pose.
  assert _iou(out["registered"][0], out["registered"][1]) > 0.95
  # No anchor at all: dropped from the average or kept unregistered.
  empty = np.zeros_like(k)
  out = registration.register(masks, np.stack([k, empty]))
  assert out["used"].tolist() == [True, False]
  out = registration.register(
      masks, np.stack([k, empty]), on_missing="keep_unregistered"
  )
  assert out["used"].tolist() == [True, True]


def test_affine_mode_and_bad_options():
  hips = [(20, 20), (26, 22)]
  masks = np.stack([_mask(h) for h in hips])
  joints = np.stack([_pose(h) for h in hips])
  out = registration.register(masks, joints, mode="affine")
  assert _iou(out["registered"][0], out["registered"][1]) > 0.95
  with pytest.raises(ValueError, match="registration.mode"):
    registration.register(masks, joints, mode="rigid")


def test_keypoint_fusion_prefers_krcnn_and_fills_midhip_neck():
  coco = np.zeros((2, 17, 3), np.float32)
  body = np.zeros((2, 25, 3), np.float32)
  coco[0, 11] = (10, 20, 0.9)  # LHip from Keypoint R-CNN
  body[0, 12] = (11, 21, 0.8)  # LHip from OpenPose (ignored)
  coco[0, 12] = (14, 20, 0.1)  # RHip too weak in Keypoint R-CNN ...
  body[0, 9] = (15, 21, 0.5)  # ... so OpenPose's is used
  body[1, 9] = (0, 0, 0)  # OpenPose "missing" is never a coordinate
  coco[:, 5], coco[:, 6] = (8, 5, 0.9), (16, 5, 0.9)
  fused = kp_lib.fuse(coco, body)
  j = kp_lib.J
  np.testing.assert_allclose(fused[0, j["LHip"]], (10, 20, 0.9))
  np.testing.assert_allclose(fused[0, j["RHip"]], (15, 21, 0.5))
  np.testing.assert_allclose(fused[0, j["MidHip"], :2], (12.5, 20.5))
  np.testing.assert_allclose(fused[0, j["Neck"], :2], (12, 5))
  assert fused[1, j["RHip"], 2] == 0 and fused[1, j["MidHip"], 2] == 0
  only_openpose = kp_lib.fuse(coco, body, sources=("openpose",))
  np.testing.assert_allclose(only_openpose[0, j["LHip"]], (11, 21, 0.8))
  with pytest.raises(ValueError, match="sources"):
    kp_lib.fuse(coco, body, sources=("alphapose",))


def test_prepare_clip_shapes_and_sampling():
  np.testing.assert_array_equal(
      clip_features.sample_indices(5, 8), [0, 1, 1, 2, 2, 3, 3, 4]
  )
  hips = [(20 + i, 24) for i in range(6)]
  clip = {
      "masks": np.stack([_mask(h) for h in hips]),
      "joints": np.stack([_pose(h) for h in hips]),
      "boxes": np.array(
          [[h[0] - 4, h[1] - 13, h[0] + 10, h[1] + 8] for h in hips], np.float32
      ),
  }
  cfg = dict(
      registration=dict(
          mode="translation",
          fallback=registration.ANCHORS,
          on_missing="drop",
          pad=0.5,
      ),
      image_size=16,
      num_frames=4,
      crop_side=0,
      energy_margin=0.1,
      box_margin=0.2,
  )
  for crop in clip_features.MASK_CROPS:
    out = clip_features.prepare_clip(clip, {**cfg, "mask_crop": crop})
    assert out["energy"].shape == (16, 16)
    assert out["mask_seq"].shape == (4, 16, 16)
    assert out["frame_valid"].all() and out["registered_frames"] == 6
    assert out["mask_seq"].max() > 0.5
