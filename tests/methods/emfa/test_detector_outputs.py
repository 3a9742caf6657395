"""Detector JSON -> dataset npz -> energy images, and Table 2.5's IoU / FPS.

The tests write tiny per-frame detector outputs in the published formats
(COCO results with compressed / uncompressed RLE and polygon segmentations,
Keypoint R-CNN keypoints, OpenPose `pose_keypoints_2d`) and CVAT COCO
ground truth, and check the results against values worked out by hand.
"""

import csv
import json

import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision import user_errors
from jaxvision.data import soccer
from jaxvision.methods.emfa import data
from jaxvision.methods.emfa import detection_eval
from jaxvision.methods.emfa import detector_outputs as dout

H, W = 8, 10


def _runs(mask: np.ndarray) -> list[int]:
  """Uncompressed COCO RLE counts: 0/1 run lengths, column-major, 0s first."""
  runs, current, n = [], 0, 0
  for v in mask.flatten(order="F"):
    if v != current:
      runs.append(n)
      n, current = 0, v
    n += 1
  return runs + [n]


def _encode(mask: np.ndarray) -> str:
  """pycocotools' rleToString, written out for the test."""
  runs, out = _runs(mask), []
  for i, x in enumerate(runs):
    if i > 2:
      x -= runs[i - 2]
    more = True
    while more:
      c = x & 0x1F
      x >>= 5
      more = x != -1 if c & 0x10 else x != 0
      out.append(chr((c | 0x20 if more else c) + 48))
  return "".join(out)


def _square(x0, y0, side=4):
  m = np.zeros((H, W), np.uint8)
  m[y0 : y0 + side, x0 : x0 + side] = 1
  return m


def _write_json(path, data):
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_text(json.dumps(data))


def _meta(root, rows):
  root.mkdir(parents=True, exist_ok=True)
  with open(root / "meta.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=soccer.META_COLUMNS)
    writer.writeheader()
    for clip_id, coarse, fine in rows:
      writer.writerow(
          dict(
              clip_id=clip_id,
              coarse=coarse,
              fine=fine,
              source="test",
              match_id="",
              fps=25,
              height=H,
              width=W,
              role="player",
              source_clip="",
          )
      )


def test_compressed_rle_by_hand():
  # Runs [0, 1, 3]: one 1 first (column-major), then three 0s.
  np.testing.assert_array_equal(
      dout.decode_rle({"size": [2, 2], "counts": "013"}), [[1, 0], [0, 0]]
  )
  # Runs [1, 2, 1, 2]; the 4th count is stored as the delta 2 - 2 = 0.
  assert dout.rle_counts("1210") == [1, 2, 1, 2]
  np.testing.assert_array_equal(
      dout.decode_rle({"size": [3, 2], "counts": "1210"}),
      [[0, 0], [1, 1], [1, 1]],
  )
  rng = np.random.default_rng(0)
  for _ in range(5):
    mask = (rng.random((H, W)) < 0.4).astype(np.uint8)
    np.testing.assert_array_equal(
        dout.decode_rle({"size": [H, W], "counts": _encode(mask)}), mask
    )
  with pytest.raises(user_errors.InvalidValueError, match="RLE"):
    dout.decode_rle({"size": [2, 2], "counts": [1, 2]})


def test_polygon_covers_the_pixel_centres_inside():
  # The rectangle (2, 2)-(6, 5) holds the centres of 4 x 3 pixels.
  mask = dout.rasterize_polygons([[2, 2, 6, 2, 6, 5, 2, 5]], H, W)
  np.testing.assert_array_equal(
      mask, _square(2, 2, 4) * (np.arange(H) < 5)[:, None]
  )
  assert mask.sum() == 12
  # A triangle: the lower-left half of (0, 0)-(4, 4): 6 centres.
  assert dout.rasterize_polygons([[0, 0, 0, 4, 4, 4]], H, W).sum() == 6


def _player_clip(raw, root):
  """3 frames of a 4 x 4 player moving by (1, 0) then (1, 1) px."""
  corners = [(1, 1), (2, 1), (3, 2)]
  clip = raw / "Goal_0"
  for j, (x0, y0) in enumerate(corners):
    square = _square(x0, y0)
    seg_json = [
        {"size": [H, W], "counts": _encode(square)},
        {"size": [H, W], "counts": _runs(square)},
        [[x0, y0, x0 + 4, y0, x0 + 4, y0 + 4, x0, y0 + 4]],
    ][j]
    dets = [
        {
            "category_id": 1,
            "bbox": [x0, y0, 4, 4],
            "score": 0.9,
            "segmentation": seg_json,
        },
        {
            "category_id": 1,
            "bbox": [6, 4, 3, 3],
            "score": 0.2,
            "segmentation": {
                "size": [H, W],
                "counts": _encode(_square(6, 4, 3)),
            },
        },
    ]
    _write_json(
        clip / "maskrcnn" / f"frame_{j + 1:06d}.json",
        dets if j else {"annotations": dets},
    )
    kps = np.zeros((17, 3))
    # Shoulders and hips at the box corners: hip midpoint (x0 + 2, y0 + 4).
    kps[[5, 6, 11, 12]] = [
        [x0 + 4, y0, 0.9],
        [x0, y0, 0.9],
        [x0 + 4, y0 + 4, 0.9],
        [x0, y0 + 4, 0.9],
    ]
    _write_json(
        clip / "keypointrcnn" / f"frame_{j + 1:06d}.json",
        [
            {
                "category_id": 1,
                "bbox": [x0, y0, 4, 4],
                "score": 0.9,
                "keypoints": kps.ravel().tolist(),
            }
        ],
    )
    body = np.zeros((25, 3))
    body[8] = [x0 + 2, y0 + 4, 0.8]
    _write_json(
        clip / "openpose" / f"Goal_0_{j + 1:012d}_keypoints.json",
        {
            "version": 1.3,
            "people": [{"pose_keypoints_2d": body.ravel().tolist()}]
            if j == 0
            else [],
        },
    )
  _write_json(clip / "maskrcnn" / "timing.json", {"frames": 3, "seconds": 0.5})
  _write_json(
      root / "annotations" / "Goal_0.json",
      {
          "images": [{"id": i + 1} for i in range(3)],
          "categories": [{"id": 1, "name": "shooter"}],
          "annotations": [
              {"image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4]}
          ],
      },
  )
  return [_square(*c) for c in corners]


def _config(root, **preprocess):
  overrides = [
      f"data.root={root}",
      "preprocess.image_size=8",
      "preprocess.crop_side=8",
      "preprocess.num_frames=3",
      "preprocess.mask_crop=anchor",
  ]
  overrides += [f"preprocess.{k}={v}" for k, v in preprocess.items()]
  return config_lib.load_config(
      "configs/emfa/ema_net.py:task=shooting", overrides
  )


def test_convert_then_prepare_builds_the_registered_energy_image(tmp_path):
  root, raw = tmp_path / "soccer", tmp_path / "raw"
  _meta(root, [("Goal_0", "shooting", "Goal")])
  squares = _player_clip(raw, root)
  assert dout.convert(str(root), str(raw)) == ["Goal_0"]
  clip = soccer.load_clip(str(root), "Goal_0")
  det, kps = clip["detections"], clip["keypoints"]
  assert clip["num_frames"] == 3
  np.testing.assert_array_equal(det["frame"], [0, 0, 1, 1, 2, 2])
  np.testing.assert_allclose(det["boxes"][0], [1, 1, 5, 5])
  # Compressed RLE, uncompressed RLE and polygon all decode to the square.
  for j in range(3):
    np.testing.assert_array_equal(det["masks"][2 * j], squares[j])
  np.testing.assert_array_equal(det["timing"], [3, 0.5])
  assert kps["coco17"].shape == (3, 17, 3)
  np.testing.assert_array_equal(kps["body25_frame"], [0])
  np.testing.assert_allclose(kps["body25"][0, 8], [3, 5, 0.8])

  config = _config(root)
  assert dout.prepare(config) == {"Goal_0": 3}
  # The hip midpoints are aligned, so all three squares land on one another:
  # the 8 px crop around it has the 4 x 4 square at rows/cols 2..5.
  expected = np.zeros((8, 8), np.float32)
  expected[2:6, 2:6] = 1
  prepared = data.prepared_soccer_clip(
      str(root), "Goal_0", soccer.read_meta(str(root)), config
  )
  np.testing.assert_allclose(prepared["energy"], expected, atol=1e-6)
  for frame in prepared["mask_seq"]:
    np.testing.assert_allclose(frame, expected, atol=1e-6)

  # Without registration the energy is the per-pixel share of the 3 frames.
  plain = data.prepared_soccer_clip(
      str(root),
      "Goal_0",
      soccer.read_meta(str(root)),
      _config(root, **{"registration.mode": "none"}),
  )
  np.testing.assert_allclose(
      plain["energy"], (sum(squares) / 3)[:8, :8], atol=1e-6
  )


def test_convert_names_missing_and_bad_files(tmp_path):
  root, raw = tmp_path / "soccer", tmp_path / "raw"
  _meta(root, [("Goal_0", "shooting", "Goal")])
  (raw / "Goal_0" / "keypointrcnn").mkdir(parents=True)
  with pytest.raises(user_errors.MissingInputError, match="maskrcnn"):
    dout.convert(str(root), str(raw))
  _write_json(
      raw / "Goal_0" / "maskrcnn" / "f_1.json",
      [
          {
              "category_id": 1,
              "bbox": [0, 0, 1, 1],
              "score": 1,
              "segmentation": {"size": [4, 4], "counts": [16]},
          }
      ],
  )
  with pytest.raises(user_errors.InvalidValueError, match="RLE size"):
    dout.convert(str(root), str(raw))
  assert (
      dout.main(
          [
              "--config",
              "configs/emfa/ema_net.py",
              "--raw",
              str(raw),
              f"--config.data.root={root}",
          ]
      )
      == 2
  )


def test_detection_iou_and_fps_by_hand(tmp_path, capsys):
  root, raw = tmp_path / "soccer", tmp_path / "raw"
  _meta(
      root,
      [("Goal_0", "shooting", "Goal"), ("Stepover_0", "dribbling", "Stepover")],
  )
  goal = raw / "Goal_0"
  _write_json(
      goal / "maskrcnn" / "0.json",
      [
          {
              "category_id": 1,
              "bbox": [2, 1, 4, 4],
              "score": 0.9,
              "segmentation": {
                  "size": [H, W],
                  "counts": _encode(_square(2, 1)),
              },
          },
          # Exact but below the person threshold 0.5: ignored.
          {
              "category_id": 1,
              "bbox": [1, 1, 4, 4],
              "score": 0.3,
              "segmentation": {
                  "size": [H, W],
                  "counts": _encode(_square(1, 1)),
              },
          },
          {
              "category_id": 37,
              "bbox": [6, 6, 2, 1],
              "score": 0.45,
              "segmentation": [[6, 6, 8, 6, 8, 7, 6, 7]],
          },
          # Another COCO class (a chair): not converted.
          {
              "category_id": 62,
              "bbox": [0, 0, 9, 7],
              "score": 0.99,
              "segmentation": [[0, 0, 9, 0, 9, 7, 0, 7]],
          },
      ],
  )
  _write_json(goal / "maskrcnn" / "1.json", [])
  _write_json(goal / "maskrcnn" / "timing.json", {"frames": 2, "seconds": 0.25})
  _write_json(goal / "keypointrcnn" / "0.json", [])
  _write_json(
      root / "annotations" / "Goal_0.json",
      {
          "images": [{"id": 7}, {"id": 8}],
          "categories": [
              {"id": 1, "name": "Shooter"},
              {"id": 2, "name": "ball"},
              {"id": 3, "name": "goal area"},
          ],
          "annotations": [
              {
                  "image_id": 7,
                  "category_id": 1,
                  "bbox": [1, 1, 4, 4],
                  "segmentation": [[1, 1, 5, 1, 5, 5, 1, 5]],
              },
              {
                  "image_id": 7,
                  "category_id": 2,
                  "bbox": [6, 6, 2, 2],
                  "segmentation": [[6, 6, 8, 6, 8, 8, 6, 8]],
              },
              {"image_id": 7, "category_id": 3, "bbox": [0, 0, 9, 7]},
              {"image_id": 8, "category_id": 1, "bbox": [1, 1, 4, 4]},
          ],
      },
  )
  step = raw / "Stepover_0"
  _write_json(
      step / "maskrcnn" / "0.json",
      [
          {
              "category_id": 1,
              "bbox": [0, 0, 2, 2],
              "score": 0.99,
              "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]],
          }
      ],
  )
  _write_json(step / "openpose" / "0_keypoints.json", {"people": []})
  _write_json(
      root / "annotations" / "Stepover_0.json",
      {
          "images": [{"id": 1}],
          "categories": [{"id": 1, "name": "dribbler"}],
          "annotations": [
              {"image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2]}
          ],
      },
  )
  dout.convert(str(root), str(raw))
  with np.load(root / "detections" / "Goal_0.npz") as f:
    np.testing.assert_array_equal(f["labels"], [1, 1, 37])
  table = detection_eval.evaluate(str(root), 0.5, 0.4)
  goal_row = table["Goal"]
  # Player: IoU 12 / 20 = 0.6 in frame 0, no detection in frame 1 -> 30 %.
  assert goal_row["player_iou"] == pytest.approx(30.0)
  # Ball: 2 x 1 box in the 2 x 2 GT box -> 50 %; masks alike.
  assert goal_row["ball_iou"] == pytest.approx(50.0)
  assert goal_row["player_mask_iou"] == pytest.approx(60.0)
  assert goal_row["ball_mask_iou"] == pytest.approx(50.0)
  assert goal_row["fps"] == pytest.approx(8.0) and goal_row["boxes"] == 3
  drib = table["Dribbling"]
  assert drib["player_iou"] == pytest.approx(100.0)
  assert np.isnan(drib["ball_iou"]) and np.isnan(drib["fps"])
  # The average row is the mean over video types, skipping missing values.
  assert table["Average"]["player_iou"] == pytest.approx(65.0)
  assert table["Average"]["ball_iou"] == pytest.approx(50.0)
  assert table["Average"]["fps"] == pytest.approx(8.0)
  assert list(table) == ["Dribbling", "Goal", "Average"]
  out = tmp_path / "t.json"
  assert (
      detection_eval.main(
          [
              "--config",
              "configs/emfa/ema_net.py:task=all",
              f"--config.data.root={root}",
              "--out",
              str(out),
          ]
      )
      == 0
  )
  assert "Goal 30.00 50.00 60.00 50.00 8.00 | 57.97 23.87 8.19" in (
      capsys.readouterr().out
  )
  written = json.loads(out.read_text())
  assert written["Goal"]["player_iou"] == pytest.approx(30.0)
