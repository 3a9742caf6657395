"""Tiny CLIP BPE vocabularies in Hugging Face's vocab.json + merges.txt."""

import json
import pathlib

from jaxvision.models.sd import clip_tokenizer

WORDS = ("red", "circle", "square", "photo", "a", "of")


def write_hf(folder: pathlib.Path, words=WORDS) -> pathlib.Path:
  """Byte symbols (+ `</w>`), merges spelling `words` left to right, BOS/EOS
  -- the same id layout as CLIP's real vocabulary, only fewer merges."""
  symbols = list(clip_tokenizer.bytes_to_unicode().values())
  merges = []
  for word in words:
    pieces = list(word[:-1]) + [word[-1] + "</w>"]
    while len(pieces) > 1:
      merges.append((pieces[0], pieces[1]))
      pieces = [pieces[0] + pieces[1]] + pieces[2:]
  merges = list(dict.fromkeys(merges))
  vocab = symbols + [s + "</w>" for s in symbols]
  vocab += ["".join(m) for m in merges]
  vocab += [clip_tokenizer.BOS, clip_tokenizer.EOS]
  folder.mkdir(parents=True, exist_ok=True)
  with open(folder / "vocab.json", "w", encoding="utf-8") as f:
    json.dump({t: i for i, t in enumerate(vocab)}, f)
  with open(folder / "merges.txt", "w", encoding="utf-8") as f:
    f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
  return folder
