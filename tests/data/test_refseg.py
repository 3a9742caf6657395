"""Referring-segmentation sources read tiny files in the real layouts."""

import io
import json
import pickle

import numpy as np
import pytest
from PIL import Image

from jaxvision.data import refseg


def _jpeg(height, width) -> bytes:
  out = io.BytesIO()
  Image.new("RGB", (width, height), (90, 120, 200)).save(out, format="JPEG")
  return out.getvalue()


def test_phrasecut_union_of_instances(tmp_path):
  (tmp_path / "images").mkdir()
  (tmp_path / "images" / "7.jpg").write_bytes(_jpeg(10, 12))
  tasks = [
      {
          "task_id": "7__1",
          "image_id": 7,
          "phrase": "two boxes",
          "Polygons": [
              [[[1, 1], [3, 1], [3, 3], [1, 3]]],
              [[[8, 5], [10, 5], [10, 8], [8, 8]]],
          ],
      }
  ]
  (tmp_path / "refer_val.json").write_text(json.dumps(tasks))
  source = refseg.PhraseCut(tmp_path, "val")
  record = source[0]
  assert len(source) == 1 and record["phrase"] == "two boxes"
  mask = record["mask"]
  assert mask.shape == (10, 12)
  assert mask[2, 2] == 1 and mask[6, 9] == 1 and mask[0, 0] == 0
  # Both 3x3 and 3x4 point-inclusive squares are filled (x -> column).
  assert mask.sum() == 9 + 12
  assert record["id"] == "7__1"
  with pytest.raises(FileNotFoundError, match="refer_test.json.*VGPhraseCut"):
    refseg.PhraseCut(tmp_path, "test")


def test_refcoco_polygons_and_rle(tmp_path):
  (tmp_path / "refcoco").mkdir()
  (tmp_path / "coco").mkdir()
  (tmp_path / "coco" / "COCO_train2014_000000000001.jpg").write_bytes(
      _jpeg(6, 5)
  )
  refs = [
      {
          "ref_id": 0,
          "ann_id": 10,
          "image_id": 1,
          "split": "val",
          "sentences": [{"sent": "left thing"}, {"sent": "the left one"}],
      },
      {
          "ref_id": 1,
          "ann_id": 11,
          "image_id": 1,
          "split": "testA",
          "sentences": [{"sent": "top"}],
      },
  ]
  with open(tmp_path / "refcoco" / "refs(unc).p", "wb") as f:
    pickle.dump(refs, f)
  rle = {"counts": [6, 3, 21], "size": [6, 5]}  # column 1, rows 0-2
  instances = {
      "images": [
          {
              "id": 1,
              "file_name": "COCO_train2014_000000000001.jpg",
              "height": 6,
              "width": 5,
          }
      ],
      "annotations": [
          {"id": 10, "segmentation": [[0, 0, 2, 0, 2, 5, 0, 5]]},
          {"id": 11, "segmentation": rle},
      ],
  }
  (tmp_path / "refcoco" / "instances.json").write_text(json.dumps(instances))
  val = refseg.RefCoco(tmp_path, "refcoco", "val", image_dir=tmp_path / "coco")
  assert len(val) == 2 and val[1]["phrase"] == "the left one"
  assert val[0]["mask"][:, :3].all() and not val[0]["mask"][:, 3:].any()
  test_a = refseg.RefCoco(
      tmp_path, "refcoco", "testA", image_dir=tmp_path / "coco"
  )
  expected = np.zeros((6, 5), np.uint8)
  expected[0:3, 1] = 1
  np.testing.assert_array_equal(test_a[0]["mask"], expected)
  with pytest.raises(ValueError, match="no split 'test'.*testA"):
    refseg.RefCoco(tmp_path, "refcoco", "test")
  with pytest.raises(FileNotFoundError, match=r"refs\(umd\).p"):
    refseg.RefCoco(tmp_path, "refcocog", "val")


def test_aigi_manifest(tmp_path):
  (tmp_path / "a.jpg").write_bytes(_jpeg(4, 4))
  mask = np.zeros((4, 4), np.uint8)
  mask[1:3, 1:3] = 255
  Image.fromarray(mask).save(tmp_path / "a_mask.png")
  (tmp_path / "manifest.json").write_text(
      json.dumps([{"image": "a.jpg", "prompt": "a cat", "mask": "a_mask.png"}])
  )
  record = refseg.AigiFolder(tmp_path)[0]
  assert record["phrase"] == "a cat" and record["mask"].sum() == 4
  (tmp_path / "manifest.json").write_text(json.dumps([{"image": "a.jpg"}]))
  with pytest.raises(ValueError, match="image, prompt, mask"):
    refseg.AigiFolder(tmp_path)
