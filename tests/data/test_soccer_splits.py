"""Drawn soccer folds partition the clips, whole matches at a time."""

import collections

import numpy as np
import pytest

from jaxvision.data import soccer

SPLITS = ("train", "val", "test")


def _meta(seed=0):
  """Shooting clips: 12 matches of 1..9 clips (mixed classes), 40 clips
  without a match id, and a goalkeeper tracklet of every third clip."""
  rng = np.random.default_rng(seed)
  classes = soccer.TASKS["shooting"]
  meta, n = {}, 0
  matches = [f"m{i}" for i in range(12) for _ in range(1 + i % 9)]
  for match in matches + [""] * 40:
    clip_id = f"c{n:03d}"
    meta[clip_id] = dict(
        clip_id=clip_id,
        fine=classes[rng.integers(3)],
        match_id=match,
        role="player",
        source_clip="",
    )
    if n % 3 == 0:
      meta[f"gk_{clip_id}"] = dict(
          meta[clip_id],
          clip_id=f"gk_{clip_id}",
          role="goalkeeper",
          source_clip=clip_id,
      )
    n += 1
  return meta


def _folds(tmp_path, meta, task="shooting", include_goalkeeper=False):
  return [
      {
          s: soccer.split_ids(
              str(tmp_path),
              meta,
              task,
              fold,
              s,
              include_goalkeeper=include_goalkeeper,
          )
          for s in SPLITS
      }
      for fold in range(soccer.NUM_FOLDS)
  ]


def test_every_clip_is_tested_exactly_once(tmp_path):
  meta = _meta()
  players = sorted(c for c, r in meta.items() if r["role"] == "player")
  folds = _folds(tmp_path, meta)
  tested = collections.Counter(c for f in folds for c in f["test"])
  assert sorted(tested) == players and set(tested.values()) == {1}
  for f in folds:
    assert sorted(f["train"] + f["val"] + f["test"]) == players
    # Stratified: each fold tests about a fifth of every class.
    for cls in soccer.TASKS["shooting"]:
      total = sum(meta[c]["fine"] == cls for c in players)
      got = sum(meta[c]["fine"] == cls for c in f["test"])
      assert abs(got - total / soccer.NUM_FOLDS) <= 3, (cls, got, total)
    assert 0 < len(f["val"]) < len(f["train"])


def test_no_match_is_split_between_splits(tmp_path):
  meta = _meta()
  for f in _folds(tmp_path, meta):
    where = collections.defaultdict(set)
    for split, ids in f.items():
      for c in ids:
        if meta[c]["match_id"]:
          where[meta[c]["match_id"]].add(split)
    assert len(where) == 12 and all(len(s) == 1 for s in where.values())


def test_goalkeepers_follow_their_clip_and_folds_are_seeded(tmp_path):
  meta = _meta()
  folds = _folds(tmp_path, meta, "shooting_gk", include_goalkeeper=True)
  for f in folds:
    for split, ids in f.items():
      for c in ids:
        if meta[c]["role"] == "goalkeeper":
          assert meta[c]["source_clip"] in ids, split
  assert folds == _folds(tmp_path, meta, "shooting_gk", True)
  other = soccer.split_ids(str(tmp_path), meta, "shooting", 0, "test", seed=1)
  assert sorted(other) != sorted(_folds(tmp_path, meta)[0]["test"])


def test_fold_outside_the_drawn_folds_is_a_clear_error(tmp_path):
  with pytest.raises(ValueError, match=r"data\.fold.*0\.\.4"):
    soccer.split_ids(str(tmp_path), _meta(), "shooting", 5, "test")
