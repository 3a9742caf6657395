"""Referring / phrase segmentation sources over local dataset copies.

Every source yields records {"image": encoded bytes (decode with the pp op
`decode`), "mask": uint8 (H, W) in {0, 1}, "phrase": str, "id": str}, so
training and evaluation pipelines are the same for all of them.

  PhraseCut   VGPhraseCut v0: <root>/refer_<split>.json + <root>/images/<id>.jpg
              (mask = union of every polygon of every instance of the phrase)
  RefCoco     REFER layout: <root>/<dataset>/refs(<splitBy>).p +
              <root>/<dataset>/instances.json, images in <image_dir>
              (COCO train2014); one expression per record
  AigiFolder  AIGI-style folder: <root>/manifest.json, a list of
              {"image": path, "prompt": str, "mask": path} (paths relative
              to <root>), masks as PNG (non-zero = foreground)
"""

import io
import json
import os
import pickle
from typing import Any, Sequence

import numpy as np
from PIL import Image
from PIL import ImageDraw

from jaxvision import user_errors

PHRASECUT_LAYOUT = """expected VGPhraseCut layout:
  <root>/refer_<split>.json   (list of tasks with image_id, phrase, Polygons)
  <root>/image_data_split.json (image_id -> width/height; optional)
  <root>/images/<image_id>.jpg"""
REFCOCO_LAYOUT = """expected REFER layout (refcoco / refcoco+ / refcocog):
  <root>/<dataset>/refs(<split_by>).p   e.g. refcoco/refs(unc).p, refcocog/refs(umd).p
  <root>/<dataset>/instances.json
  <image_dir>/COCO_train2014_<id:012d>.jpg"""
AIGI_LAYOUT = """expected AIGI-style folder:
  <root>/manifest.json   [{"image": "images/x.png", "prompt": "...", "mask": "masks/x.png"}, ...]"""

REFCOCO_SPLIT_BY = {"refcoco": "unc", "refcoco+": "unc", "refcocog": "umd"}


def _require(path: str, layout: str) -> str:
  if not os.path.exists(path):
    raise FileNotFoundError(f"{path!r} not found; {layout}")
  return path


def _read(path: str, layout: str) -> bytes:
  with open(_require(path, layout), "rb") as f:
    return f.read()


def _image_size(data: bytes) -> tuple[int, int]:
  """(height, width) from the header, without decoding the pixels."""
  width, height = Image.open(io.BytesIO(data)).size
  return height, width


def rasterize_polygons(
    polygons: Sequence[Sequence[Sequence[float]]], height: int, width: int
) -> np.ndarray:
  """Union of polygons given as [[x, y], ...] in pixel coordinates."""
  canvas = Image.new("L", (width, height), 0)
  draw = ImageDraw.Draw(canvas)
  for polygon in polygons:
    points = [tuple(map(float, p)) for p in polygon]
    if len(points) >= 3:
      draw.polygon(points, fill=1, outline=1)
  return np.asarray(canvas, np.uint8)


class PhraseCut:
  """VGPhraseCut phrase-region pairs of one split ('train', 'val', 'test', ...)."""

  def __init__(self, root: str | os.PathLike[str], split: str = "test"):
    self._root = os.path.expanduser(os.fspath(root))
    path = _require(
        os.path.join(self._root, f"refer_{split}.json"), PHRASECUT_LAYOUT
    )
    with open(path, encoding="utf-8") as f:
      tasks = json.load(f)
    if not isinstance(tasks, list) or not tasks:
      raise user_errors.InvalidValueError(
          f"{path!r} holds no list of tasks; {PHRASECUT_LAYOUT}"
      )
    for key in ("image_id", "phrase", "Polygons"):
      if key not in tasks[0]:
        raise user_errors.InvalidValueError(
            f"Tasks in {path!r} lack {key!r}; {PHRASECUT_LAYOUT}"
        )
    self._tasks = tasks

  def __len__(self) -> int:
    return len(self._tasks)

  def __getitem__(self, index: int) -> dict[str, Any]:
    task = self._tasks[index]
    data = _read(
        os.path.join(self._root, "images", f"{task['image_id']}.jpg"),
        PHRASECUT_LAYOUT,
    )
    height, width = _image_size(data)
    # NOTE: Polygons is a list over instances, each a list of polygons of
    # [x, y] points; the phrase's mask is the union over all of them.
    polygons = [p for instance in task["Polygons"] for p in instance]
    return {
        "image": data,
        "phrase": task["phrase"],
        "mask": rasterize_polygons(polygons, height, width),
        "id": str(task.get("task_id", index)),
    }


def _coco_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
  """A COCO annotation's mask from polygons or uncompressed RLE."""
  if isinstance(segmentation, list):
    polygons = [np.asarray(p, np.float64).reshape(-1, 2) for p in segmentation]
    return rasterize_polygons(polygons, height, width)
  counts = (
      segmentation.get("counts") if isinstance(segmentation, dict) else None
  )
  if isinstance(counts, list):
    flat = np.repeat(np.arange(len(counts)) % 2, counts).astype(np.uint8)
    return flat.reshape(width, height).T  # column-major
  raise user_errors.InvalidValueError(
      "Compressed-RLE segmentations are not supported; RefCOCO "
      "referring annotations are polygons, so this file is not a "
      "REFER instances.json."
  )


class RefCoco:
  """One split of RefCOCO / RefCOCO+ / RefCOCOg: one record per expression."""

  def __init__(
      self,
      root: str | os.PathLike[str],
      dataset: str = "refcoco",
      split: str = "val",
      image_dir: str | os.PathLike[str] = "",
      split_by: str | None = None,
  ):
    if dataset not in REFCOCO_SPLIT_BY:
      raise user_errors.InvalidValueError(
          f"dataset must be one of {sorted(REFCOCO_SPLIT_BY)}, "
          f"got {dataset!r}."
      )
    root = os.path.expanduser(os.fspath(root))
    split_by = split_by or REFCOCO_SPLIT_BY[dataset]
    refs_path = _require(
        os.path.join(root, dataset, f"refs({split_by}).p"), REFCOCO_LAYOUT
    )
    with open(refs_path, "rb") as f:
      refs = pickle.load(f)
    with open(
        _require(os.path.join(root, dataset, "instances.json"), REFCOCO_LAYOUT),
        encoding="utf-8",
    ) as f:
      instances = json.load(f)
    self._anns = {a["id"]: a for a in instances["annotations"]}
    self._images = {i["id"]: i for i in instances["images"]}
    self._image_dir = os.path.expanduser(os.fspath(image_dir)) or os.path.join(
        root, "images", "train2014"
    )
    available = sorted({r["split"] for r in refs})
    if split not in available:
      raise user_errors.InvalidValueError(
          f"{refs_path!r} has no split {split!r}; it has " f"{available}."
      )
    self._items = [
        (ref, sentence["sent"])
        for ref in refs
        if ref["split"] == split
        for sentence in ref["sentences"]
    ]

  def __len__(self) -> int:
    return len(self._items)

  def __getitem__(self, index: int) -> dict[str, Any]:
    ref, sentence = self._items[index]
    info = self._images[ref["image_id"]]
    data = _read(
        os.path.join(self._image_dir, info["file_name"]), REFCOCO_LAYOUT
    )
    mask = _coco_mask(
        self._anns[ref["ann_id"]]["segmentation"], info["height"], info["width"]
    )
    return {
        "image": data,
        "phrase": sentence,
        "mask": mask,
        "id": f"{ref['ref_id']}_{index}",
    }


class AigiFolder:
  """AI-generated images with prompts and manual masks, from a manifest."""

  def __init__(self, root: str | os.PathLike[str]):
    self._root = os.path.expanduser(os.fspath(root))
    path = _require(os.path.join(self._root, "manifest.json"), AIGI_LAYOUT)
    with open(path, encoding="utf-8") as f:
      entries = json.load(f)
    if (
        not isinstance(entries, list)
        or not entries
        or any(not {"image", "prompt", "mask"} <= set(e) for e in entries)
    ):
      raise user_errors.InvalidValueError(
          f"{path!r} must be a non-empty list of "
          f"{{image, prompt, mask}} entries; {AIGI_LAYOUT}"
      )
    self._entries = entries

  def __len__(self) -> int:
    return len(self._entries)

  def __getitem__(self, index: int) -> dict[str, Any]:
    entry = self._entries[index]
    data = _read(os.path.join(self._root, entry["image"]), AIGI_LAYOUT)
    mask_bytes = _read(os.path.join(self._root, entry["mask"]), AIGI_LAYOUT)
    mask = np.asarray(Image.open(io.BytesIO(mask_bytes)).convert("L")) > 0
    if mask.shape != _image_size(data):
      raise user_errors.InvalidValueError(
          f"Mask {entry['mask']!r} is {mask.shape}, image "
          f"{entry['image']!r} is {_image_size(data)}."
      )
    return {
        "image": data,
        "phrase": entry["prompt"],
        "mask": mask.astype(np.uint8),
        "id": str(index),
    }
