"""RECLIP inputs: image-text sources, per-stage preprocessing, tokenizer.

The same decoded image feeds every stage; a stage's pp string is formatted
with its `image_size` (and `text_len`), so the low-res phase down-samples
(antialiased: spec pitfall 6) and the finetune sees the full resolution.
"""

import functools
import os
from typing import Any

import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.data import image_text
from jaxvision.data import pipeline
from jaxvision.data import pp
from jaxvision.data import registry
from jaxvision.data import sources
from jaxvision.data import synthetic
from jaxvision.data import tokenizers


@functools.lru_cache(maxsize=8)
def _load_tokenizer(path: str) -> tokenizers.SentencePieceTokenizer:
  return tokenizers.SentencePieceTokenizer(path)


def synthetic_tokenizer_path(data_cfg: ml_collections.ConfigDict) -> str:
  """A word-level SentencePiece model of a synthetic dataset's captions.

  Trained once on the vocabulary of the synthetic captions and stored next to
  the dataset, so the smoke run uses the real SentencePiece code path.
  """
  directory = os.path.join(
      os.path.expanduser(data_cfg.data_dir), f"{data_cfg.name}_tokenizer"
  )
  prefix = os.path.join(directory, "spm")
  if not os.path.exists(prefix + ".model"):
    os.makedirs(directory, exist_ok=True)
    tmp_prefix = f"{prefix}.{os.getpid()}"
    words = list(synthetic.SHAPES_CAPTIONS_WORDS)
    tokenizers.train_sentencepiece(
        [" ".join(words)] + words,
        tmp_prefix,
        vocab_size=len(words) + 3,
        model_type="word",
    )
    for ext in (".model", ".vocab"):
      os.replace(tmp_prefix + ext, prefix + ext)
  return prefix + ".model"


def tokenizer(config: ml_collections.ConfigDict):
  """The configured tokenizer (text.tokenizer_path, or the synthetic one)."""
  path = config.text.tokenizer_path
  if not path:
    if config.data.name not in synthetic.BUILDERS:
      raise FileNotFoundError(
          "config.text.tokenizer_path is empty: put a SentencePiece .model "
          "file (e.g. T5's cc_en.32000 sentencepiece.model) on disk and set "
          "--config.text.tokenizer_path=/path/to/sentencepiece.model."
      )
    path = synthetic_tokenizer_path(config.data)
  return _load_tokenizer(os.path.expanduser(path))


def vocab_size(config: ml_collections.ConfigDict) -> int:
  """The text vocabulary size: `text.vocab_size` if set, else the tokenizer's.

  Paper configs set it (32,000) so shapes, parameter and FLOP counts need no
  tokenizer file; training checks that the tokenizer agrees.
  """
  if config.text.get("vocab_size", 0):
    if config.text.tokenizer_path or config.data.name in synthetic.BUILDERS:
      actual = tokenizer(config).vocab_size
      if actual != config.text.vocab_size:
        raise user_errors.InvalidValueError(
            f"config.text.vocab_size={config.text.vocab_size} but the "
            f"tokenizer has {actual} ids; fix one of them."
        )
    return config.text.vocab_size
  return tokenizer(config).vocab_size


def _tokenize_op(tok, max_len: int, key: str = "caption", out: str = "tokens"):
  """pp op: text (str/bytes, or a list of captions) -> int32 token ids."""

  def op(example, rng):
    del rng
    text = example[key]
    many = isinstance(text, (list, tuple, np.ndarray)) and not isinstance(
        text, (str, bytes)
    )
    texts = [_as_str(t) for t in (text if many else [text])]
    ids = tok.encode(texts, max_len)
    example = dict(example)
    example[out] = ids if many else ids[0]
    return example

  return op


def _as_str(text: Any) -> str:
  return text.decode("utf-8") if isinstance(text, bytes) else str(text)


def preprocess(config, stage, pp_string: str, text_key: str):
  """The pp chain of a stage, ending in tokenization of `text_key`."""
  tok = tokenizer(config)
  pp_string = pp_string.format(
      image_size=stage.image_size, text_len=stage.text_len
  )
  ops = {"tokenize": functools.partial(_tokenize_op, tok)}
  return pp.build(
      f"{pp_string}|tokenize({stage.text_len}, key={text_key!r})"
      f"|keep('image', 'tokens')",
      extra_ops=ops,
  )


def _tfds_source(data_cfg: ml_collections.ConfigDict, split: str):
  if data_cfg.name in synthetic.BUILDERS and data_cfg.get("sizes", None):
    synthetic.build(
        data_cfg.name,
        os.path.expanduser(data_cfg.data_dir),
        **dict(data_cfg.sizes),
    )
  source = sources.open(
      data_cfg.name, split, os.path.expanduser(data_cfg.data_dir)
  )
  return sources.InMemory(source) if data_cfg.get("cache", False) else source


# data.kind -> fn(data_cfg, split) -> a random-access image-text source.
KINDS = {
    "tfds": _tfds_source,
    "tar": lambda d, split: image_text.TarShards(os.path.expanduser(d.path)),
}


def open_source(data_cfg: ml_collections.ConfigDict, split: str):
  """A random-access image-text source from config.data."""
  build = registry.lookup(
      KINDS, data_cfg.get("kind", "tfds"), "config.data.kind"
  )
  return build(data_cfg, split)


def make_train_data(ctx: method_lib.StageContext, seed: int):
  """Host-local training batches of a stage: image [B,S,S,3], tokens [B,L]."""
  config = ctx.config
  source = open_source(config.data, config.data.train_split)
  pp_fn = preprocess(
      config, ctx.stage, config.data.pp_train, config.data.caption_key
  )
  return pipeline.host_iterator(
      source,
      config.data,
      pp_fn=pp_fn,
      global_batch_size=ctx.stage.batch_size,
      seed=seed,
  )
