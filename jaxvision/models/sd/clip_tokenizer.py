"""CLIP's byte-level BPE tokenizer, read from local vocabulary files.

Two file layouts are accepted (nothing is downloaded):
  * OpenAI's `bpe_simple_vocab_16e6.txt.gz` (merges only; the vocabulary is
    the 256 byte symbols, the same with `</w>`, one entry per merge, then
    `<|startoftext|>` and `<|endoftext|>`), and
  * Hugging Face's `vocab.json` + `merges.txt` (a folder holding both, or a
    diffusers model folder with a `tokenizer/` sub-folder).

`encode` gives what SD v1 was trained with (HF `CLIPTokenizer`,
`padding="max_length"`, `truncation=True`): BOS, at most `length - 2` BPE ids,
EOS, then padding with the EOS id 49407 -- not 0 as in OpenAI's
`clip.tokenize` (spec pitfall 9).
"""

import functools
import gzip
import html
import json
import os
import pathlib
import re
from typing import Sequence
import unicodedata

import numpy as np

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
CONTEXT_LENGTH = 77
# NOTE: CLIP's pattern uses \p{L} / \p{N} (the `regex` package). Stdlib `re`
# has no Unicode classes: letters are [^\W\d_] and numbers \d, which differ
# only for rare numeric symbols such as superscripts and fractions.
_PATTERN = re.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d"
    r"|(?:[^\s\w]|_)+",
    re.IGNORECASE,
)
# Merges used from OpenAI's file: the vocabulary is 49408 = 512 + 48894 + 2.
_OPENAI_MERGES = 49152 - 256 - 2


@functools.lru_cache(maxsize=None)
def bytes_to_unicode() -> dict[int, str]:
  """GPT-2's reversible map of the 256 bytes to printable unicode symbols."""
  printable = (
      list(range(ord("!"), ord("~") + 1))
      + list(range(ord("\xa1"), ord("\xac") + 1))
      + list(range(ord("\xae"), ord("\xff") + 1))
  )
  chars, extra = printable[:], 0
  for b in range(256):
    if b not in printable:
      printable.append(b)
      chars.append(256 + extra)
      extra += 1
  return dict(zip(printable, map(chr, chars)))


def _clean(text: str) -> str:
  """NFC (as ftfy does in the reference, so a decomposed accent tokenizes as
  the composed one), HTML unescaped, whitespace collapsed, lower-cased."""
  text = unicodedata.normalize("NFC", text)
  text = html.unescape(html.unescape(text)).strip()
  return re.sub(r"\s+", " ", text).strip().lower()


def _merge(word: Sequence[str], pair: tuple[str, str]) -> list[str]:
  """`word`'s symbols with every occurrence of `pair` joined, left to right."""
  merged, i = [], 0
  while i < len(word):
    if i < len(word) - 1 and (word[i], word[i + 1]) == pair:
      merged.append(word[i] + word[i + 1])
      i += 2
    else:
      merged.append(word[i])
      i += 1
  return merged


class CLIPTokenizer:
  """Byte-level BPE with `</w>` end-of-word markers, lower-cased input."""

  def __init__(self, vocab: dict[str, int], merges: Sequence[tuple[str, str]]):
    missing = [t for t in (BOS, EOS) if t not in vocab]
    if missing:
      raise ValueError(f"CLIP vocabulary lacks the special tokens {missing}.")
    self.encoder = vocab
    self.decoder = {i: t for t, i in vocab.items()}
    self.ranks = {pair: i for i, pair in enumerate(merges)}
    self.byte_encoder = bytes_to_unicode()
    self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
    self.bos_id, self.eos_id = vocab[BOS], vocab[EOS]
    # A literal BOS/EOS in the text is the special token, one id, as in the
    # reference tokenizers.
    self._cache = {BOS: [BOS], EOS: [EOS]}

  @property
  def vocab_size(self) -> int:
    return len(self.encoder)

  def bpe(self, token: str) -> list[str]:
    """Merges the symbols of one pre-token by rank until none applies."""
    if token in self._cache:
      return self._cache[token]
    word = list(token[:-1]) + [token[-1] + "</w>"]
    while len(word) > 1:
      pairs = set(zip(word, word[1:]))
      best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
      if best not in self.ranks:
        break
      word = _merge(word, best)
    self._cache[token] = word
    return word

  def tokenize(self, text: str) -> list[int]:
    """BPE ids of `text`, without BOS/EOS."""
    ids = []
    for token in _PATTERN.findall(_clean(text)):
      token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
      ids.extend(self.encoder[piece] for piece in self.bpe(token))
    return ids

  def encode(
      self,
      texts: Sequence[str],
      length: int = CONTEXT_LENGTH,
      pad_id: int | None = None,
  ) -> np.ndarray:
    """int32 [len(texts), length]: BOS, ids (truncated), EOS, padding.

    `pad_id` defaults to the EOS id (HF's SD v1 tokenizer); use 0 for
    OpenAI's `clip.tokenize` convention.
    """
    if isinstance(texts, str):
      raise TypeError("encode takes a list of strings, got one string.")
    pad = self.eos_id if pad_id is None else pad_id
    out = np.full((len(texts), length), pad, np.int32)
    for row, text in enumerate(texts):
      ids = [self.bos_id] + self.tokenize(text)[: length - 2] + [self.eos_id]
      out[row, : len(ids)] = ids
    return out

  def decode(self, ids: Sequence[int]) -> str:
    """Text of one row of ids, stopping at the first EOS."""
    pieces = []
    for i in ids:
      if int(i) == self.eos_id:
        break
      if int(i) != self.bos_id:
        pieces.append(self.decoder[int(i)])
    text = "".join(pieces)
    data = bytearray(self.byte_decoder[c] for c in text)
    return data.decode("utf-8", errors="replace").replace("</w>", " ").strip()


def bytes_only() -> CLIPTokenizer:
  """A CLIP tokenizer without merges (vocab 514: bytes, bytes + `</w>`, BOS,
  EOS): same code path and id layout, no files; for tiny CPU configs."""
  symbols = list(bytes_to_unicode().values())
  vocab = symbols + [s + "</w>" for s in symbols] + [BOS, EOS]
  return CLIPTokenizer({t: i for i, t in enumerate(vocab)}, [])


def _byte_symbols(word: str) -> tuple[str, ...]:
  """A pre-token as CLIP's initial BPE symbols (last one with `</w>`)."""
  encoder = bytes_to_unicode()
  chars = [encoder[b] for b in word.encode("utf-8")]
  return tuple(chars[:-1] + [chars[-1] + "</w>"])


def from_words(words: Sequence[str]) -> CLIPTokenizer:
  """A CLIP tokenizer whose merges make each of `words` one token.

  BPE training on the (lower-cased, pre-tokenized) words, each counted once:
  repeatedly merge the most frequent adjacent pair (ties: first seen) until
  every word is a single symbol. The vocabulary has OpenAI's layout (bytes,
  bytes + `</w>`, one entry per merge, BOS, EOS). For tiny CPU configs whose
  text encoder is random: a word-level context is far easier to ground than
  one token per character.
  """
  pieces = sorted({t for w in words for t in _PATTERN.findall(_clean(w))})
  corpus = [list(_byte_symbols(t)) for t in pieces]
  merges = []
  while any(len(word) > 1 for word in corpus):
    counts: dict[tuple[str, str], int] = {}
    for word in corpus:
      for pair in zip(word, word[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    best = max(counts, key=counts.get)  # dicts keep first-seen order on ties
    merges.append(best)
    corpus = [_merge(word, best) for word in corpus]
  symbols = list(bytes_to_unicode().values())
  vocab = symbols + [s + "</w>" for s in symbols]
  vocab += ["".join(m) for m in merges] + [BOS, EOS]
  return CLIPTokenizer({t: i for i, t in enumerate(vocab)}, merges)


def _openai(path: pathlib.Path) -> CLIPTokenizer:
  with gzip.open(path, "rt", encoding="utf-8") as f:
    lines = f.read().split("\n")
  merges = [
      tuple(line.split()) for line in lines[1 : _OPENAI_MERGES + 1] if line
  ]
  symbols = list(bytes_to_unicode().values())
  vocab = symbols + [s + "</w>" for s in symbols]
  vocab += ["".join(m) for m in merges] + [BOS, EOS]
  return CLIPTokenizer({t: i for i, t in enumerate(vocab)}, merges)


def _huggingface(folder: pathlib.Path) -> CLIPTokenizer:
  with open(folder / "vocab.json", encoding="utf-8") as f:
    vocab = json.load(f)
  with open(folder / "merges.txt", encoding="utf-8") as f:
    lines = f.read().split("\n")
  merges = [
      tuple(line.split())
      for line in lines
      if line and not line.startswith("#version")
  ]
  return CLIPTokenizer(vocab, merges)


def load(path: str | os.PathLike[str]) -> CLIPTokenizer:
  """A tokenizer from a `.txt.gz` merges file or a vocab.json+merges.txt dir."""
  path = pathlib.Path(path)
  if path.is_file() and path.name.endswith(".gz"):
    return _openai(path)
  for folder in (path, path / "tokenizer"):
    if (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file():
      return _huggingface(folder)
  raise FileNotFoundError(
      f"No CLIP tokenizer files at {str(path)!r}. Give OpenAI's "
      "`bpe_simple_vocab_16e6.txt.gz`, or a folder with Hugging Face's "
      "`vocab.json` and `merges.txt` (e.g. the `tokenizer/` folder of "
      "CompVis/stable-diffusion-v1-4 or openai/clip-vit-large-patch14), and "
      "point the config key `ldm.tokenizer` at it."
  )
