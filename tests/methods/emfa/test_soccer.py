"""The local Soccer Highlights loader, S3 tracking, and the prepared splits.

The test writes a tiny dataset in the documented format (meta.csv,
detections/*.npz, keypoints/*.npz, annotations/*.json) from stick-player
clips: the acting player, a distractor player, a ball, and keypoints of both
people in the COCO-17 / BODY_25 layouts.
"""

import csv
import json

import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision.data import soccer
from jaxvision.methods.emfa import data
from jaxvision.methods.emfa import keypoints as kp_lib
from jaxvision.methods.emfa import synthetic
from jaxvision.methods.emfa import tracking

SIZE, FRAMES = 64, 6


def _skeletons(joints, box):
  """Fused-layout joints -> (COCO-17, BODY_25) arrays of one person.

  Nose and ankles are put at the box extremes, as a full skeleton spans the
  person's box.
  """
  coco, body = np.zeros((17, 3), np.float32), np.zeros((25, 3), np.float32)
  x0, y0, x1, y1 = box
  coco[0], coco[15], coco[16] = ((x0 + x1) / 2, y0, 1), (x0, y1, 1), (x1, y1, 1)
  for name, j in kp_lib.J.items():
    if name in kp_lib.COCO17:
      coco[kp_lib.COCO17[name]] = joints[j]
    if name in kp_lib.BODY25:
      body[kp_lib.BODY25[name]] = joints[j]
  return coco, body


def _write_clip(root, clip_id, label, rng):
  clip = synthetic.clip(label, rng, SIZE, FRAMES)
  det = {k: [] for k in ("frame", "boxes", "scores", "labels", "masks")}
  kps = {k: [] for k in ("coco17", "coco17_frame", "body25", "body25_frame")}
  for j in range(FRAMES):
    other = np.zeros((SIZE, SIZE), np.uint8)
    other[2:14, 2:6] = 1
    ball = np.zeros((SIZE, SIZE), np.uint8)
    bx, by = clip["boxes"][j, 2] - 2, clip["boxes"][j, 3] - 2
    ball[int(by) - 1 : int(by) + 2, int(bx) - 1 : int(bx) + 2] = 1
    rows = [
        (clip["boxes"][j], 0.9, soccer.PERSON, clip["masks"][j] > 0),
        ([2, 2, 6, 14], 0.95, soccer.PERSON, other),
        ([bx - 1, by - 1, bx + 2, by + 2], 0.6, soccer.SPORTS_BALL, ball),
        ([40, 40, 50, 60], 0.3, soccer.PERSON, other),
    ]  # below 0.5
    for box, score, lab, mask in rows:
      for key, value in zip(
          ("frame", "boxes", "scores", "labels", "masks"),
          (j, box, score, lab, mask),
      ):
        det[key].append(value)
    coco, body = _skeletons(clip["joints"][j], clip["boxes"][j])
    far = np.zeros((17, 3), np.float32)
    far[[5, 6, 11, 12]] = [[3, 3, 1], [5, 3, 1], [3, 10, 1], [5, 10, 1]]
    kps["coco17"] += [far, coco]
    kps["coco17_frame"] += [j, j]
    kps["body25"].append(body)
    kps["body25_frame"].append(j)
  np.savez(
      root / "detections" / f"{clip_id}.npz",
      **{k: np.asarray(v) for k, v in det.items()},
  )
  np.savez(
      root / "keypoints" / f"{clip_id}.npz",
      **{k: np.asarray(v) for k, v in kps.items()},
  )
  x0, y0, x1, y1 = clip["boxes"][0].tolist()
  (root / "annotations" / f"{clip_id}.json").write_text(
      json.dumps(
          {
              "images": [
                  {"id": i + 1, "file_name": f"{i:06d}.png"}
                  for i in range(FRAMES)
              ],
              "categories": [
                  {"id": 1, "name": "shooter"},
                  {"id": 2, "name": "ball"},
              ],
              "annotations": [
                  {
                      "image_id": 1,
                      "category_id": 1,
                      "bbox": [x0, y0, x1 - x0, y1 - y0],
                  }
              ],
          }
      )
  )
  return clip


def _dataset(tmp_path, per_class=6):
  root = tmp_path / "soccer"
  for sub in ("detections", "keypoints", "annotations"):
    (root / sub).mkdir(parents=True)
  rng = np.random.default_rng(0)
  rows, clips = [], {}
  for c, fine in enumerate(soccer.TASKS["shooting"]):
    for i in range(per_class):
      clip_id = f"{fine}_{i}"
      clips[clip_id] = _write_clip(root, clip_id, c, rng)
      rows.append(
          dict(
              clip_id=clip_id,
              coarse="shooting",
              fine=fine,
              source="test",
              match_id="",
              fps=25,
              height=SIZE,
              width=SIZE,
              role="player",
              source_clip="",
          )
      )
      rows.append(
          dict(
              rows[-1],
              clip_id=f"gk_{clip_id}",
              role="goalkeeper",
              source_clip=clip_id,
          )
      )
      clips[f"gk_{clip_id}"] = _write_clip(root, f"gk_{clip_id}", c, rng)
  with open(root / "meta.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=soccer.META_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
  return root, clips


def test_tracking_follows_the_annotated_player(tmp_path):
  root, clips = _dataset(tmp_path, per_class=1)
  raw = soccer.load_clip(str(root), "Goal_0")
  assert raw["num_frames"] == FRAMES and raw["init_box"][0] == 0
  cfg = dict(
      person_thresh=0.5,
      ball_thresh=0.4,
      ball_radius=1.5,
      kp_box_iou=dict(dribbling=0.8, shooting=0.5),
  )
  out = tracking.track(raw, cfg, include_ball=True)
  truth = clips["Goal_0"]
  assert out["frame_valid"].all()
  np.testing.assert_allclose(out["boxes"], truth["boxes"])
  # The player's mask plus the nearby ball; never the distractor.
  assert (out["masks"] >= (truth["masks"] > 0)).all()
  assert out["masks"].sum() > truth["masks"].sum()
  assert not out["masks"][:, 2:14, 2:6].any()
  # The matched skeleton is the player's, not the far one.
  fused = kp_lib.fuse(out["kps_coco17"], out["kps_body25"])
  np.testing.assert_allclose(
      fused[:, kp_lib.J["LHip"], :2], truth["joints"][:, kp_lib.J["LHip"], :2]
  )
  no_ball = tracking.track(raw, cfg, include_ball=False)
  np.testing.assert_array_equal(no_ball["masks"], truth["masks"] > 0)
  with pytest.raises(ValueError, match="kp_box_iou"):
    tracking.track(raw, dict(cfg, kp_box_iou=dict(dribbling=0.8)), True)


def test_prepared_splits_and_goalkeeper_leakage(tmp_path):
  root, _ = _dataset(tmp_path)
  meta = soccer.read_meta(str(root))
  splits = {
      s: soccer.split_ids(
          str(root), meta, "shooting_gk", 0, s, include_goalkeeper=True
      )
      for s in ("train", "test")
  }
  for split, ids in splits.items():
    for c in ids:
      if meta[c]["role"] == "goalkeeper":
        assert meta[c]["source_clip"] in ids, split
  config = config_lib.load_config(
      "configs/emfa/ema_net.py:task=shooting",
      [
          f"data.root={root}",
          f"data.cache_dir={tmp_path / 'cache'}",
          "preprocess.image_size=32",
          "preprocess.num_frames=4",
      ],
  )
  source = data.open_split(config, "train")
  example = source[0]
  assert example["energy"].shape == (32, 32)
  assert example["mask_seq"].shape == (4, 32, 32)
  assert example["energy"].max() > 0.5
  labels = [int(source[i]["label"]) for i in range(len(source))]
  assert sorted(set(labels)) == [0, 1, 2]
  assert list((tmp_path / "cache" / "prepared").glob("*/*.npz"))


def test_missing_files_and_bad_meta_are_clear_errors(tmp_path):
  with pytest.raises(FileNotFoundError, match="meta.csv.*data.root"):
    soccer.read_meta(str(tmp_path))
  root, _ = _dataset(tmp_path, per_class=1)
  (root / "keypoints" / "Goal_0.npz").unlink()
  with pytest.raises(FileNotFoundError, match="keypoints"):
    soccer.load_clip(str(root), "Goal_0")
  text = (root / "meta.csv").read_text().replace("Free-Kick", "Bicycle")
  (root / "meta.csv").write_text(text)
  with pytest.raises(ValueError, match="Bicycle"):
    soccer.read_meta(str(root))
  with pytest.raises(ValueError, match="Unknown soccer task"):
    soccer.task_classes("passing")
