"""Tests for jaxvision.evaluators.zeroshot and the vendored CLIP prompt assets."""

import collections

import numpy as np
import pytest

from jaxvision import assets
from jaxvision.data import tokenizers
from jaxvision.evaluators import zeroshot


class TableTokenizer:
  """Encodes each known prompt as its index + 1 in the first position (0 stays padding)."""

  def __init__(self, prompts):
    self.ids = {p: i + 1 for i, p in enumerate(prompts)}

  @property
  def vocab_size(self):
    return len(self.ids) + 1

  def encode(self, texts, max_len, lowercase=True):
    out = np.zeros((len(texts), max_len), np.int32)
    out[:, 0] = [self.ids[t] for t in texts]
    return out


def test_prompt_ensemble_normalises_per_template_before_averaging():
  # One class, two templates with embeddings of different norms: [3, 0] and [0, 1].
  # CLIP ensemble: normalise -> [1, 0], [0, 1]; mean [.5, .5]; renormalise -> [1/sqrt2, 1/sqrt2].
  # (Averaging raw embeddings would give normalize([1.5, .5]) = [.949, .316] instead.)
  tok = TableTokenizer(['a cat', 'the cat'])
  table = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 1.0]])
  emb = zeroshot.class_embeddings(
      lambda t: table[t[:, 0]], tok, ['cat'], ['a {}', 'the {}'], max_len=4
  )
  np.testing.assert_allclose(emb, [[2**-0.5, 2**-0.5]], rtol=1e-6)


def test_class_embeddings_calls_with_fixed_batch_and_maps_prompts_to_classes():
  # 2 templates x 3 classes = 6 prompts, batch 4 -> calls of 4 and 4 (2 padding rows, all-zero tokens).
  classes, templates = ['cat', 'dog', 'eel'], ['a {}.', '{} photo']
  prompts = [t.replace('{}', c) for t in templates for c in classes]
  tok = TableTokenizer(prompts)
  # Prompt embedding: class one-hot * (template 0: 1, template 1: 2) + template-specific offset on axis 3.
  table = np.zeros((len(prompts) + 1, 4))
  for t_index, template in enumerate(templates):
    for c_index, name in enumerate(classes):
      row = tok.ids[template.replace('{}', name)]
      table[row, c_index] = 1.0 + t_index
      table[row, 3] = 1.0 if t_index == 0 else -2.0
  calls = []

  def embed(tokens):
    calls.append(tokens.copy())
    return table[tokens[:, 0]]

  emb = zeroshot.class_embeddings(
      embed, tok, classes, templates, max_len=3, batch_size=4
  )
  assert [c.shape for c in calls] == [(4, 3), (4, 3)]
  assert np.all(calls[1][2:] == 0)
  # Per template normalised: [1, 0, 0, 1]/sqrt2 and [2, 0, 0, -2]/sqrt8 = [1, 0, 0, -1]/sqrt2;
  # mean [1, 0, 0, 0]/sqrt2; renormalised [1, 0, 0, 0].
  np.testing.assert_allclose(emb, np.eye(3, 4), atol=1e-6)


def test_class_embeddings_with_real_tokenizer(tmp_path):
  names, templates = ['red', 'blue', 'green'], zeroshot.load_templates()[:3]
  prompts = [t.replace('{}', n) for t in templates for n in names]
  tok = tokenizers.SentencePieceTokenizer(
      tokenizers.train_sentencepiece(
          prompts * 5, tmp_path / 'w', 64, model_type='word'
      )
  )

  def bag_of_tokens(tokens):
    return np.stack(
        [np.bincount(row[row > 0], minlength=tok.vocab_size) for row in tokens]
    ).astype(np.float32)

  emb = zeroshot.class_embeddings(
      bag_of_tokens, tok, names, templates, max_len=16
  )
  assert emb.shape == (3, tok.vocab_size)
  np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-6)
  # Prompts of different classes differ only in the class word, so classes are distinct but similar.
  sims = emb @ emb.T
  off_diagonal = sims[~np.eye(3, dtype=bool)]
  assert np.all(off_diagonal < 0.99) and np.all(off_diagonal > 0.5)
  assert not np.any(
      tok.encode(prompts, 16) == 1
  ), 'every prompt word must be a known piece, not unk (id 1)'


def test_accuracy_by_hand():
  classes = np.eye(3)
  images = np.array(
      [
          [0.9, 0.1, 0.0],  # label 0: predicted 0 (top-1 hit)
          [
              0.2,
              0.7,
              0.6,
          ],  # label 2: predicted 1, 2 is second (top-1 miss, top-2 hit)
          [0.0, 0.0, 1.0],
      ]
  )  # label 2: predicted 2 (top-1 hit)
  assert zeroshot.accuracy(
      images, classes, [0, 2, 2], ks=(1, 2)
  ) == pytest.approx({'top1': 2 / 3, 'top2': 1.0})


def test_class_subset_restricts_argmax_with_labels_in_full_space():
  classes = np.eye(4)
  images = np.array(
      [
          [
              0.1,
              0.5,
              0.2,
              0.9,
          ],  # label 1: full space predicts 3; within {1, 2} predicts 1.
          [0.0, 0.3, 0.4, 0.1],
      ]
  )  # label 2: predicted 2 either way.
  labels = [1, 2]
  assert zeroshot.accuracy(images, classes, labels, ks=(1,)) == {'top1': 0.5}
  assert zeroshot.accuracy(
      images, classes, labels, class_subset=[2, 1], ks=(1,)
  ) == {'top1': 1.0}
  with pytest.raises(ValueError, match=r'not in class_subset'):
    zeroshot.accuracy(images, classes, [3, 2], class_subset=[1, 2], ks=(1,))
  with pytest.raises(ValueError, match='meaningless over 2 classes'):
    zeroshot.accuracy(images, classes, labels, class_subset=[1, 2], ks=(1, 5))
  with pytest.raises(ValueError, match='duplicate'):
    zeroshot.accuracy(images, classes, labels, class_subset=[1, 1, 2], ks=(1,))


def test_ties_go_to_the_lower_class_index():
  classes = np.array(
      [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
  )  # classes 0 and 1 identical (like CLIP's 'missile').
  images = np.array([[1.0, 0.0], [1.0, 0.0]])
  assert zeroshot.accuracy(images, classes, [0, 1], ks=(1, 2)) == {
      'top1': 0.5,
      'top2': 1.0,
  }


def test_evaluate_runner_with_padding_mask_and_subset():
  classes = np.eye(4)
  images = np.array(
      [[0.1, 0.5, 0.2, 0.9], [0.0, 0.3, 0.4, 0.1], [0.0, 0.9, 0.1, 0.0]]
  )
  labels = np.array([1, 2, 2])
  batches = [
      {'image': images[:2], 'label': labels[:2]},
      # Last batch padded with a wrong example that must be ignored.
      {
          'image': np.stack([images[2], images[0]]),
          'label': np.array([2, 2]),
          'mask': np.array([True, False]),
      },
  ]
  metrics = zeroshot.evaluate(
      lambda x: x, batches, classes, class_subset=[1, 2], ks=(1,)
  )
  # Within {1, 2}: example 0 -> 1 (hit), example 1 -> 2 (hit), example 2 -> 1 (miss).
  assert metrics == pytest.approx({'top1': 2 / 3, 'num_examples': 3})
  with pytest.raises(KeyError, match="'label'"):
    zeroshot.evaluate(
        lambda x: x, [{'image': images, 'y': labels}], classes, ks=(1,)
    )


def test_clip_templates_asset():
  templates = zeroshot.load_templates()
  assert len(templates) == 80 and len(set(templates)) == 80
  assert all(t.count('{}') == 1 for t in templates)
  assert (
      templates[0] == 'a bad photo of a {}.'
      and templates[-1] == 'a tattoo of the {}.'
  )
  assert 'itap of a {}.' in templates and 'a {} in a video game.' in templates


def test_clip_classnames_asset():
  names = zeroshot.load_classnames()
  assert len(names) == 1000
  assert (
      names[:3] == ['tench', 'goldfish', 'great white shark']
      and names[-1] == 'toilet paper'
  )
  assert (
      names[21] == 'kite (bird of prey)'
      and names[134] == 'crane bird'
      and names[517] == 'construction crane'
  )
  # CLIP's published list (verbatim) repeats two names; everything else is unique.
  repeated = {
      n: [i for i, m in enumerate(names) if m == n]
      for n, c in collections.Counter(names).items()
      if c > 1
  }
  assert repeated == {'missile': [657, 744], 'sunglasses': [836, 837]}
  assert len(set(names)) == 998
  assert all(n == n.strip() and n for n in names)


def test_loaders_reject_bad_files(tmp_path):
  bad = tmp_path / 'templates.txt'
  bad.write_text('a photo of a {}.\na photo.\n')
  with pytest.raises(ValueError, match='exactly one'):
    zeroshot.load_templates(bad)
  gap = tmp_path / 'classes.txt'
  gap.write_text('cat\n\ndog\n')
  with pytest.raises(ValueError, match=r'blank lines \[2\]'):
    zeroshot.load_classnames(gap)
  with pytest.raises(FileNotFoundError, match='one entry per line'):
    zeroshot.load_classnames(tmp_path / 'missing.txt')
  with pytest.raises(FileNotFoundError, match='Did you mean'):
    assets.path('clip_imagenet_template.txt')
