"""Tests for jaxvision.data.tokenizers on tiny SentencePiece models trained in the test."""

import pickle
import random

import numpy as np
import pytest
import sentencepiece as spm

from jaxvision.data import tokenizers

WORDS = (
    'a',
    'the',
    'red',
    'blue',
    'green',
    'circle',
    'square',
    'small',
    'large',
    'photo',
    'of',
    'in',
    'top',
    'bottom',
    'left',
    'right',
    'striped',
    'solid',
)


def _sentences(n: int = 300) -> list[str]:
  rng = random.Random(0)
  return [
      ' '.join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
      for _ in range(n)
  ]


@pytest.fixture(scope='module')
def unigram_path(tmp_path_factory) -> str:
  return tokenizers.train_sentencepiece(
      _sentences(), tmp_path_factory.mktemp('spm') / 'uni', vocab_size=40
  )


@pytest.fixture(scope='module')
def word_path(tmp_path_factory) -> str:
  return tokenizers.train_sentencepiece(
      _sentences(),
      tmp_path_factory.mktemp('spm') / 'word',
      vocab_size=64,
      model_type='word',
  )


def test_word_model_ids_are_hand_checkable(word_path):
  tok = tokenizers.SentencePieceTokenizer(word_path)
  # pad 0, unk 1, eos 2, then one piece per distinct word: the vocab is a soft limit.
  assert tok.vocab_size == len(WORDS) + 3
  assert tok.eos_id == 2
  red = tok.encode(['red'], max_len=4)[0, 0]
  circle = tok.encode(['circle'], max_len=4)[0, 0]
  assert red >= 3 and circle >= 3 and red != circle
  out = tok.encode(['red zzz circle', 'red'], max_len=5)
  assert out.dtype == np.int32 and out.shape == (2, 5)
  np.testing.assert_array_equal(
      out, [[red, 1, circle, 2, 0], [red, 2, 0, 0, 0]]
  )


def test_encode_pads_appends_eos_and_round_trips(unigram_path):
  tok = tokenizers.SentencePieceTokenizer(unigram_path)
  out = tok.encode(['a red circle in the top left', 'blue square'], max_len=24)
  assert out.shape == (2, 24) and out.dtype == np.int32
  for row in out:
    n = int(np.count_nonzero(row))
    assert np.all(row[:n] != 0) and np.all(
        row[n:] == 0
    ), 'ids must be a non-zero prefix followed by padding'
    assert row[n - 1] == tok.eos_id
  assert tok.decode(out) == ['a red circle in the top left', 'blue square']
  assert tok.decode(out[1]) == 'blue square'


def test_truncation_drops_eos_when_it_does_not_fit(unigram_path):
  tok = tokenizers.SentencePieceTokenizer(unigram_path)
  full = tok.encode(
      ['a large striped green square in the bottom right'], max_len=64
  )[0]
  n = int(np.count_nonzero(full))
  assert n > 4
  cut = tok.encode(
      ['a large striped green square in the bottom right'], max_len=4
  )[0]
  np.testing.assert_array_equal(cut, full[:4])
  assert tok.eos_id not in cut
  # Exactly n - 1 pieces + EOS fit in n slots.
  np.testing.assert_array_equal(
      tok.encode(['a large striped green square in the bottom right'], n)[0],
      full[:n],
  )


def test_lowercase(unigram_path):
  tok = tokenizers.SentencePieceTokenizer(unigram_path)
  np.testing.assert_array_equal(
      tok.encode(['A RED Circle'], 8), tok.encode(['a red circle'], 8)
  )
  assert not np.array_equal(
      tok.encode(['A RED Circle'], 8, lowercase=False),
      tok.encode(['a red circle'], 8),
  )


def test_model_without_pad_is_shifted_by_one(tmp_path):
  prefix = tmp_path / 'default'
  # SentencePiece defaults: unk 0, bos 1, eos 2, pad disabled, so id 0 is a real piece and must be shifted.
  spm.SentencePieceTrainer.train(
      sentence_iterator=iter(_sentences()),
      model_prefix=str(prefix),
      vocab_size=40,
      minloglevel=2,
      num_threads=1,
  )
  raw = spm.SentencePieceProcessor(model_file=f'{prefix}.model')
  tok = tokenizers.SentencePieceTokenizer(f'{prefix}.model')
  assert tok.vocab_size == raw.get_piece_size() + 1
  assert tok.eos_id == raw.eos_id() + 1 == 3
  pieces = raw.encode('red zz circle', out_type=int)
  assert 0 in pieces  # the unknown 'zz' maps to unk id 0 in the raw model.
  out = tok.encode(['red zz circle'], max_len=len(pieces) + 3)[0]
  np.testing.assert_array_equal(out, [p + 1 for p in pieces] + [3, 0, 0])
  assert tok.decode(tok.encode(['red circle'], 10))[0] == 'red circle'


def test_missing_model_file_explains_where_to_put_it(tmp_path):
  with pytest.raises(FileNotFoundError, match=r'text\.tokenizer_path') as info:
    tokenizers.SentencePieceTokenizer(tmp_path / 'missing.model')
  assert 'cc_en.32000' in str(info.value)


def test_registry_load_and_did_you_mean(unigram_path):
  tok = tokenizers.load('sentencepiece', unigram_path)
  assert isinstance(tok, tokenizers.SentencePieceTokenizer)
  with pytest.raises(ValueError, match="Did you mean 'sentencepiece'"):
    tokenizers.load('sentencepeice', unigram_path)


def test_bad_inputs(unigram_path, tmp_path):
  tok = tokenizers.SentencePieceTokenizer(unigram_path)
  with pytest.raises(TypeError, match='single string'):
    tok.encode('a red circle', 8)
  with pytest.raises(ValueError, match='max_len'):
    tok.encode(['a'], 0)
  with pytest.raises(ValueError, match='outside'):
    tok.decode([1, 2, tok.vocab_size])
  with pytest.raises(ValueError, match="Did you mean 'unigram'"):
    tokenizers.train_sentencepiece(
        ['a b'], tmp_path / 'x', 10, model_type='unigam'
    )


def test_pickle_round_trip(unigram_path):
  tok = tokenizers.SentencePieceTokenizer(unigram_path)
  clone = pickle.loads(pickle.dumps(tok))
  np.testing.assert_array_equal(
      clone.encode(['red square'], 6), tok.encode(['red square'], 6)
  )
  assert clone.vocab_size == tok.vocab_size
