"""Tests for jaxvision.evaluators.retrieval against hand-computed Recall@K values."""

import numpy as np
import pytest

from jaxvision.evaluators import retrieval


def test_three_by_three_by_hand():
  # Images are the axes; one caption per image. Normalised captions:
  #   t0 = [.894, .447, 0]   t1 = [.874, .486, 0]   t2 = [0, .196, .981]
  # T2I: t0 -> image 0 (hit), t1 -> image 0 (its image 1 is second: miss@1, hit@2), t2 -> image 2 (hit).
  # I2T: image 0 scores captions by x: t0 .894 > t1 .874 (hit); image 1 by y: t1 .486 > t0 .447 (hit);
  #      image 2 by z: t2 (hit).
  images = np.eye(3) * np.array([[2.0], [0.5], [3.0]])  # norms must not matter.
  texts = np.array([[1.0, 0.5, 0.0], [0.9, 0.5, 0.0], [0.0, 0.2, 1.0]])
  metrics = retrieval.recall_at_k(images, texts, [0, 1, 2], ks=(1, 2))
  assert metrics == pytest.approx(
      {'i2t_r1': 1.0, 't2i_r1': 2 / 3, 'i2t_r2': 1.0, 't2i_r2': 1.0}
  )


def test_multi_caption_i2t_hit_semantics_and_ties():
  # Two images (axes), two captions each; normalised captions:
  #   c0 (img 0) = [.196, .981]  c1 (img 0) = [.981, .196]  c2 (img 1) = [.707, .707]  c3 (img 1) = [.447, .894]
  # I2T image 0 ranks by x: c1, c2, c3, c0 -> its caption c1 is first: hit@1 (a hit via ANY of its captions).
  # I2T image 1 ranks by y: c0 (not its own), c3 -> first own caption at position 1: miss@1, hit@2.
  # T2I: c0 prefers image 1 (miss@1); c1 image 0 (hit); c2 ties exactly, broken towards image 0 (miss@1);
  #      c3 prefers image 1 (hit).
  images = np.eye(2)
  texts = np.array([[1.0, 5.0], [5.0, 1.0], [1.0, 1.0], [1.0, 2.0]])
  metrics = retrieval.recall_at_k(images, texts, [0, 0, 1, 1], ks=(1, 2))
  assert metrics == pytest.approx(
      {'i2t_r1': 0.5, 't2i_r1': 0.5, 'i2t_r2': 1.0, 't2i_r2': 1.0}
  )


def test_ties_broken_towards_lower_index_so_collapse_is_not_rewarded():
  # A collapsed model: every embedding identical. Only the first image (I2T: its captions come first) and
  # captions of the first image (T2I) can be hits at K=1.
  metrics = retrieval.recall_at_k(
      np.ones((4, 3)), np.ones((8, 3)), np.repeat(np.arange(4), 2), ks=(1,)
  )
  assert metrics == pytest.approx({'i2t_r1': 1 / 4, 't2i_r1': 2 / 8})


def _reference(image, text, ids, ks):
  """Brute force with stable argsort (ties -> lower index), over the full similarity matrix."""
  image = image / np.linalg.norm(image, axis=1, keepdims=True)
  text = text / np.linalg.norm(text, axis=1, keepdims=True)
  sims = image @ text.T
  i2t_order = np.argsort(-sims, axis=1, kind='stable')
  t2i_order = np.argsort(-sims.T, axis=1, kind='stable')
  out = {}
  for k in ks:
    out[f'i2t_r{k}'] = np.mean(
        [np.any(ids[i2t_order[i, :k]] == i) for i in range(len(image))]
    )
    out[f't2i_r{k}'] = np.mean(
        [ids[t] in t2i_order[t, :k] for t in range(len(text))]
    )
  return out


def test_blocked_matches_brute_force():
  rng = np.random.default_rng(0)
  image = rng.normal(size=(37, 8)).astype(np.float32)
  ids = rng.permutation(np.repeat(np.arange(37), 3))
  text = image[ids] + rng.normal(scale=1.5, size=(ids.size, 8)).astype(
      np.float32
  )
  ks = (1, 5, 10)
  small_blocks = retrieval.recall_at_k(image, text, ids, ks=ks, block_size=5)
  one_block = retrieval.recall_at_k(image, text, ids, ks=ks, block_size=10_000)
  assert small_blocks == one_block
  assert small_blocks == pytest.approx(_reference(image, text, ids, ks))
  assert 0.0 < small_blocks['i2t_r1'] < small_blocks['i2t_r10'] < 1.0


def test_bad_inputs():
  with pytest.raises(ValueError, match='no caption'):
    retrieval.recall_at_k(np.eye(3), np.eye(3)[:2], [0, 1])
  with pytest.raises(ValueError, match='all-zero rows'):
    retrieval.recall_at_k(np.eye(2), np.array([[1.0, 0.0], [0.0, 0.0]]), [0, 1])
  with pytest.raises(ValueError, match='non-finite'):
    retrieval.recall_at_k(
        np.array([[np.nan, 1.0], [0.0, 1.0]]), np.eye(2), [0, 1]
    )
  with pytest.raises(ValueError, match=r'lie in \[0, 2\)'):
    retrieval.recall_at_k(np.eye(2), np.eye(2), [0, 2])
  with pytest.raises(ValueError, match='widths'):
    retrieval.recall_at_k(np.eye(2), np.eye(3)[:2], [0, 1])
  with pytest.raises(ValueError, match='positive integers'):
    retrieval.recall_at_k(np.eye(2), np.eye(2), [0, 1], ks=(0,))


def test_evaluate_runner_drops_padding_and_padded_captions():
  rng = np.random.default_rng(1)
  image = rng.normal(size=(5, 4)).astype(np.float32)
  # Captions per image: 2, 3, 1, 3, 2 (11 in all); caption_table[j] is the embedding of caption j.
  counts = [2, 3, 1, 3, 2]
  ids = np.repeat(np.arange(5), counts)
  caption_table = image[ids] + rng.normal(scale=0.8, size=(ids.size, 4)).astype(
      np.float32
  )
  expected = retrieval.recall_at_k(image, caption_table, ids, ks=(1, 2))

  # Batches of B=3 images with C=3 caption slots; tokens [..., 0] holds the caption index (row of the table).
  # The last batch is padded with a copy of image 0 and its captions, which must be ignored.
  batches, next_caption = [], 0
  for start in (0, 3):
    b_images = np.zeros((3, 4), np.float32)
    tokens = np.zeros((3, 3, 2), np.int32)
    caption_mask = np.zeros((3, 3), bool)
    mask = np.zeros(3, bool)
    for row, i in enumerate(range(start, min(start + 3, 5))):
      b_images[row], mask[row] = image[i], True
      for slot in range(counts[i]):
        tokens[row, slot, 0], caption_mask[row, slot] = next_caption, True
        next_caption += 1
    if start == 3:
      b_images[2], tokens[2, :2, 0], caption_mask[2, :2] = (
          image[0],
          [0, 1],
          True,
      )
    batches.append(
        {
            'image': b_images,
            'tokens': tokens,
            'caption_mask': caption_mask,
            'mask': mask,
        }
    )

  seen_shapes = []

  def embed_texts(tokens):
    seen_shapes.append(tokens.shape)
    return caption_table[tokens[:, 0]]

  metrics = retrieval.evaluate(lambda x: x, embed_texts, batches, ks=(1, 2))
  assert seen_shapes == [(9, 2), (9, 2)]
  assert metrics.pop('num_images') == 5 and metrics.pop('num_texts') == 11
  assert metrics == expected


def test_evaluate_runner_one_caption_per_image():
  images = np.eye(3) * np.array([[2.0], [0.5], [3.0]])
  table = np.array([[1.0, 0.5, 0.0], [0.9, 0.5, 0.0], [0.0, 0.2, 1.0]])
  batch = {'image': images, 'tokens': np.arange(3)[:, None]}
  metrics = retrieval.evaluate(
      lambda x: x, lambda t: table[t[:, 0]], [batch], ks=(1,)
  )
  assert metrics == pytest.approx(
      {'i2t_r1': 1.0, 't2i_r1': 2 / 3, 'num_images': 3, 'num_texts': 3}
  )
  with pytest.raises(ValueError, match='empty'):
    retrieval.evaluate(
        lambda x: x,
        lambda t: table[t[:, 0]],
        [dict(batch, mask=np.zeros(3, bool))],
    )
