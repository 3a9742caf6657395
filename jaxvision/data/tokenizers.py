"""Text tokenizers loaded from local files, producing fixed-length int32 token arrays.

Convention for every array produced here: **id 0 is padding**. Text towers build their padding mask as
`tokens != 0` and masked-GAP pooling averages only non-zero positions, so no other id may be 0.

The default (RECLIP spec §3.2) is a SentencePiece model read from a local `.model` file, e.g. T5's English
`cc_en.32000` vocabulary (which already has pad_id 0). Models whose pad id is not 0 (SentencePiece's default
is pad disabled, unk 0) get every id shifted by +1 so that 0 stays free for padding; `vocab_size` reports the
shifted size, which is the size the text tower's embedding table must have.

`train_sentencepiece` builds a model locally (tests, and the synthetic captions of the smoke configs).
"""

import difflib
import os
import pathlib
from typing import Iterable, Protocol, Sequence

import numpy as np
import sentencepiece as spm

PAD_ID = 0


class Tokenizer(Protocol):
  """What evaluators and input pipelines need from a tokenizer."""

  @property
  def vocab_size(self) -> int:
    """Size of the id space, padding id 0 included (the text embedding table size)."""

  def encode(
      self, texts: Sequence[str], max_len: int, lowercase: bool = True
  ) -> np.ndarray:
    """Returns int32 [len(texts), max_len] ids, 0-padded."""

  def decode(self, ids: Sequence[int] | np.ndarray) -> str | list[str]:
    """Inverse of `encode` for one row (-> str) or a batch of rows (-> list of str)."""


class SentencePieceTokenizer:
  """A SentencePiece model read from a local `.model` file.

  `encode` lower-cases (by default), tokenises, truncates to `max_len` and pads with 0. If the model defines an
  EOS piece, EOS is appended only when it fits, i.e. when the caption has fewer than `max_len` pieces; a caption
  truncated to `max_len` carries no EOS.
  NOTE: we do not reserve a slot for EOS: with RECLIP's 16-token captions a reserved slot would cost 1/16 of
  the text budget, and the default text pooling (masked GAP) does not need it. An `eos` pooling mode should pool
  the last non-pad position, which is EOS when it fit and the last word otherwise.
  """

  def __init__(self, model_path: str | os.PathLike[str]):
    model_path = os.fspath(model_path)
    if not os.path.isfile(model_path):
      raise FileNotFoundError(
          f'SentencePiece model not found at {model_path!r}. Put a SentencePiece `.model` file there (for '
          "example T5's English vocabulary `cc_en.32000/sentencepiece.model`, or one built with "
          '`jaxvision.data.tokenizers.train_sentencepiece`) and point the config key `text.tokenizer_path` at it.'
      )
    self._model_path = model_path
    self._sp = spm.SentencePieceProcessor(model_file=model_path)
    # NOTE: a model with pad_id 0 keeps its ids; any other model (pad disabled = -1, or pad elsewhere) is
    # shifted by +1 so that 0 is never a real piece.
    self._offset = 0 if self._sp.pad_id() == PAD_ID else 1
    eos = self._sp.eos_id()
    self._eos = None if eos < 0 else eos + self._offset

  def __repr__(self) -> str:
    return f'SentencePieceTokenizer({self._model_path!r}, vocab_size={self.vocab_size}, offset={self._offset})'

  def __getstate__(self) -> dict[str, str]:
    # NOTE: grain workers pickle transforms; the C++ processor is rebuilt from the path on the other side.
    return {'model_path': self._model_path}

  def __setstate__(self, state: dict[str, str]) -> None:
    self.__init__(state['model_path'])

  @property
  def vocab_size(self) -> int:
    """Number of ids, including the padding id 0 (and the +1 shift where applied)."""
    return self._sp.get_piece_size() + self._offset

  @property
  def eos_id(self) -> int | None:
    """The (shifted) EOS id, or None when the model has no EOS piece."""
    return self._eos

  def encode(
      self, texts: Sequence[str], max_len: int, lowercase: bool = True
  ) -> np.ndarray:
    """Tokenises `texts` into an int32 array [len(texts), max_len], truncated and padded with 0.

    Args:
      texts: a sequence of strings (a bare string is rejected, it would be tokenised character by character).
      max_len: the fixed output length (the text tower's sequence length).
      lowercase: lower-case before tokenising (RECLIP spec §6: captions are lower-cased).
    """
    if isinstance(texts, (str, bytes)):
      raise TypeError(
          f'encode() takes a sequence of strings, got a single string {texts!r}; wrap it in a list.'
      )
    if not isinstance(max_len, (int, np.integer)) or max_len < 1:
      raise ValueError(f'max_len must be a positive integer, got {max_len!r}.')
    texts = list(texts)
    for i, text in enumerate(texts):
      if not isinstance(text, str):
        raise TypeError(
            f'encode() expects strings; element {i} is {type(text).__name__}: {text!r}.'
        )
    if lowercase:
      texts = [t.lower() for t in texts]
    out = np.zeros((len(texts), max_len), np.int32)
    for row, ids in enumerate(self._sp.encode(texts, out_type=int)):
      ids = [i + self._offset for i in ids[:max_len]]
      if self._eos is not None and len(ids) < max_len:
        ids.append(self._eos)
      out[row, : len(ids)] = ids
    return out

  def decode(self, ids: Sequence[int] | np.ndarray) -> str | list[str]:
    """Decodes one row of ids (-> str) or a 2-D batch (-> list of str); padding and EOS are dropped."""
    arr = np.asarray(ids)
    if arr.ndim == 2:
      return [self._decode_row(row) for row in arr]
    if arr.ndim != 1:
      raise ValueError(
          f'decode() takes a 1-D row or a 2-D batch of ids, got shape {arr.shape}.'
      )
    return self._decode_row(arr)

  def _decode_row(self, row: np.ndarray) -> str:
    bad = row[(row < 0) | (row >= self.vocab_size)]
    if bad.size:
      raise ValueError(
          f'Token ids {bad.tolist()} are outside [0, {self.vocab_size}) for {self!r}.'
      )
    keep = row[
        (row != PAD_ID) & (row != (-1 if self._eos is None else self._eos))
    ]
    return self._sp.decode([int(i) - self._offset for i in keep])


def train_sentencepiece(
    texts: Iterable[str],
    model_prefix: str | os.PathLike[str],
    vocab_size: int,
    model_type: str = 'unigram',
    lowercase: bool = True,
) -> str:
  """Trains a SentencePiece model on `texts` and returns the path of the written `.model` file.

  The model uses pad_id 0, unk_id 1, no BOS and eos_id 2, so `SentencePieceTokenizer` uses its ids unshifted.
  `vocab_size` is a soft limit (`hard_vocab_limit=False`): a small corpus (e.g. a ~30-word synthetic caption
  language with `model_type='word'`) yields fewer pieces instead of failing; read the real size from
  `SentencePieceTokenizer(path).vocab_size`.

  Args:
    texts: training sentences (lower-cased first when `lowercase`, to match `encode(lowercase=True)`).
    model_prefix: output path without extension; `<prefix>.model` and `<prefix>.vocab` are written.
    vocab_size: requested number of pieces, including pad/unk/eos.
    model_type: 'unigram', 'bpe', 'word' or 'char'.
    lowercase: lower-case the training sentences.
  """
  model_types = ('unigram', 'bpe', 'word', 'char')
  if model_type not in model_types:
    close = difflib.get_close_matches(model_type, model_types, n=1)
    hint = f' Did you mean {close[0]!r}?' if close else ''
    raise ValueError(
        f'Unknown SentencePiece model_type {model_type!r}.{hint} Choose one of {model_types}.'
    )
  if vocab_size < 4:
    raise ValueError(
        f'vocab_size must be at least 4 (pad, unk, eos and one piece), got {vocab_size}.'
    )
  sentences = [t.lower() if lowercase else t for t in texts]
  if not any(s.strip() for s in sentences):
    raise ValueError(
        'train_sentencepiece() got no non-empty training sentences.'
    )
  prefix = pathlib.Path(model_prefix)
  prefix.parent.mkdir(parents=True, exist_ok=True)
  spm.SentencePieceTrainer.train(
      sentence_iterator=iter(sentences),
      model_prefix=str(prefix),
      vocab_size=vocab_size,
      model_type=model_type,
      pad_id=0,
      unk_id=1,
      bos_id=-1,
      eos_id=2,
      character_coverage=1.0,
      hard_vocab_limit=False,
      num_threads=1,
      minloglevel=2,
  )
  return f'{prefix}.model'


TOKENIZERS = {'sentencepiece': SentencePieceTokenizer}


def load(kind: str, path: str | os.PathLike[str]) -> Tokenizer:
  """Builds the tokenizer registered as `kind` from the local file `path`."""
  if kind not in TOKENIZERS:
    close = difflib.get_close_matches(kind, list(TOKENIZERS), n=1)
    hint = f' Did you mean {close[0]!r}?' if close else ''
    raise ValueError(
        f'Unknown tokenizer kind {kind!r}.{hint} Registered kinds: {sorted(TOKENIZERS)}.'
    )
  return TOKENIZERS[kind](path)
