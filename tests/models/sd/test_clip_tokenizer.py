"""CLIP BPE tokenizer: file layouts, BOS/EOS, EOS padding, truncation."""

import gzip

import ml_collections
import pytest

from jaxvision.data import synthetic_phrases
from jaxvision.methods.ldm import data as ldm_data
from jaxvision.models.sd import clip_tokenizer
from tests.weights import bpe_files


def test_encode_pads_with_eos_and_truncates(tmp_path):
  tok = clip_tokenizer.load(bpe_files.write_hf(tmp_path))
  ids = tok.encode(["A  red circle!", "red " * 40], length=8)
  red, circle = tok.encoder["red</w>"], tok.encoder["circle</w>"]
  bang = tok.encoder["!</w>"]
  assert ids[0].tolist() == [
      tok.bos_id,
      tok.encoder["a</w>"],
      red,
      circle,
      bang,
      tok.eos_id,
      tok.eos_id,
      tok.eos_id,
  ]
  assert ids[1].tolist() == [tok.bos_id] + [red] * 6 + [tok.eos_id]
  assert tok.encode(["red"], length=4, pad_id=0)[0].tolist() == [
      tok.bos_id,
      red,
      tok.eos_id,
      0,
  ]
  assert tok.decode(ids[0]) == "a red circle !"


def test_unmerged_word_falls_back_to_bytes(tmp_path):
  tok = clip_tokenizer.load(bpe_files.write_hf(tmp_path))
  assert [tok.decoder[i] for i in tok.tokenize("cab")] == ["c", "a", "b</w>"]


def test_openai_gz_layout_gives_the_same_ids(tmp_path):
  folder = bpe_files.write_hf(tmp_path / "hf")
  merges = (folder / "merges.txt").read_text().split("\n")[1:]
  gz = tmp_path / "bpe_simple_vocab_16e6.txt.gz"
  with gzip.open(gz, "wt", encoding="utf-8") as f:
    f.write('"bpe_simple_vocab_16e6.txt#version: 0.2\n' + "\n".join(merges))
  texts = ["a photo of a red square.", "Square circles"]
  assert (
      clip_tokenizer.load(gz).encode(texts).tolist()
      == clip_tokenizer.load(folder).encode(texts).tolist()
  )


def test_bytes_only_ids_are_the_base_vocabulary():
  tok = clip_tokenizer.bytes_only()
  assert tok.vocab_size == 514 and (tok.bos_id, tok.eos_id) == (512, 513)
  assert tok.encode(["ab"], 5)[0].tolist() == [
      512,
      tok.encoder["a"],
      tok.encoder["b</w>"],
      513,
      513,
  ]


def test_literal_special_tokens_are_one_id():
  tok = clip_tokenizer.bytes_only()
  a, b = tok.encoder["a</w>"], tok.encoder["b</w>"]
  assert tok.tokenize("a <|endoftext|> b") == [a, tok.eos_id, b]
  assert tok.tokenize("<|startoftext|>a") == [tok.bos_id, a]


def test_decomposed_accents_tokenize_like_composed(tmp_path):
  tok = clip_tokenizer.load(bpe_files.write_hf(tmp_path))
  composed = tok.tokenize("Caf\u00e9 red")
  assert tok.tokenize("Cafe\u0301 red") == composed
  assert tok.decode(composed) == "caf\u00e9 red"


def test_from_words_makes_each_word_one_token():
  words = synthetic_phrases.vocabulary()
  tok = clip_tokenizer.from_words(words)
  assert tok.vocab_size == 514 + len(tok.ranks)
  assert (tok.bos_id, tok.eos_id) == (tok.vocab_size - 2, tok.vocab_size - 1)
  for word in words:
    assert [tok.decoder[i] for i in tok.tokenize(word)] == [word + "</w>"], word
  ids = tok.tokenize("An image of the yellow triangles.")
  assert (
      len(ids) == 7 and tok.decode(ids) == "an image of the yellow triangles ."
  )
  # Words outside the list still encode, through the byte symbols.
  assert tok.decode(tok.tokenize("purple")) == "purple"


def test_builtin_tokenizer_must_fit_the_text_encoder():
  cfg = ml_collections.ConfigDict(
      dict(
          tokenizer="builtin:shapes_phrase",
          weights="",
          text=dict(vocab_size=514),
      )
  )
  with pytest.raises(ValueError, match="ldm.text.vocab_size=514"):
    ldm_data.config_tokenizer(cfg)
  cfg.text.vocab_size = 600
  assert ldm_data.config_tokenizer(cfg).vocab_size <= 600
  cfg.tokenizer = "builtin:nope"
  with pytest.raises(ValueError, match="builtin:shapes_phrase"):
    ldm_data.config_tokenizer(cfg)


def test_matches_transformers_clip_tokenizer(tmp_path):
  transformers = pytest.importorskip("transformers")
  folder = bpe_files.write_hf(tmp_path)
  ref = transformers.CLIPTokenizer(
      str(folder / "vocab.json"), str(folder / "merges.txt")
  )
  ours = clip_tokenizer.load(folder)
  texts = [
      "a photo of a red square.",
      "RED circles, squares & photos!!",
      "it's a  photo\tof 2 circles",
      "a <|endoftext|> b",
      "<|startoftext|>red square<|endoftext|>",
      "a photo of a cafe\u0301 and a caf\u00e9",
  ]
  want = ref(texts, padding="max_length", max_length=77, truncation=True)
  assert ours.encode(texts).tolist() == want["input_ids"]


def test_missing_files_error_says_what_to_provide(tmp_path):
  with pytest.raises(FileNotFoundError, match="vocab.json"):
    clip_tokenizer.load(tmp_path)
