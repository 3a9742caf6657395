"""`extract-features`: LDM features of a dataset cached to array_record shards.

Shard k holds examples [k * shard_size, (k + 1) * shard_size) as msgpack
records {"index", "prompt", "t", "block_<k>": float array}. A shard is
written to `<name>.tmp` and renamed when complete, so a rerun skips finished
shards and redoes only the interrupted one (resumable). Example i always uses
PRNG key fold_in(key(seed), i), so resumed and uninterrupted runs write the
same features. `metadata.json` records what was extracted; a rerun with a
different config into the same folder is refused. With several hosts, host p
writes the shards k with k % process_count == p.
"""

import functools
import json
import math
import os
import pathlib
from typing import Any

import flax
import jax
import ml_collections
import numpy as np
from array_record.python import array_record_data_source
from array_record.python import array_record_module

from jaxvision.core import inference
from jaxvision.methods.ldm import data
from jaxvision.methods.ldm import features
from jaxvision.methods.ldm import frozen


def shard_name(index: int, count: int) -> str:
  return f"features-{index:05d}-of-{count:05d}.array_record"


def _metadata(config: ml_collections.ConfigDict, n: int, shapes) -> dict:
  cfg = config.ldm
  return {"examples": n, "shard_size": config.extract.shard_size,
          "seed": config.extract.seed, "blocks": list(cfg.blocks),
          "shapes": {str(k): list(v) for k, v in shapes.items()},
          "timesteps": cfg.timesteps.to_dict(), "posterior": cfg.posterior,
          "weights": cfg.weights, "image_size": cfg.image_size,
          "architecture": features.architecture(cfg).to_dict()}


def _check_metadata(out: pathlib.Path, meta: dict) -> None:
  path = out / "metadata.json"
  if path.is_file():
    with open(path, encoding="utf-8") as f:
      old = json.load(f)
    if old != json.loads(json.dumps(meta)):
      raise ValueError(f"{str(out)!r} holds features of another config "
                       f"({old}); use a new --out folder.")
  elif jax.process_index() == 0:
    with open(path, "w", encoding="utf-8") as f:
      json.dump(meta, f, indent=1)


@functools.lru_cache(maxsize=4)
def _batch_fn(extractor: features.Extractor):
  """(features, t) of a batch; one function object per extractor, so that a
  second extraction in the same process reuses the compiled program."""

  def fn(params, images, tokens, keys):
    return extractor(params, images, tokens, keys), extractor.draw_timesteps(
        keys)

  return fn


def extract(config: ml_collections.ConfigDict, out: str) -> dict[str, Any]:
  """Writes the missing shards; returns counts of written / skipped shards."""
  cfg = config.ldm
  extractor = features.from_config(cfg)
  dataset = data.load(config.data, cfg.image_size)
  tokenizer = data.config_tokenizer(cfg)
  out_dir = pathlib.Path(out)
  out_dir.mkdir(parents=True, exist_ok=True)
  _check_metadata(out_dir, _metadata(config, len(dataset),
                                     extractor.feature_shapes(cfg.image_size)))
  shard_size, batch_size = config.extract.shard_size, config.extract.batch_size
  count = math.ceil(len(dataset) / shard_size)
  todo = [k for k in range(count)
          if k % jax.process_count() == jax.process_index()
          and not (out_dir / shard_name(k, count)).is_file()]
  if not todo:
    return {"shards_written": 0, "shards_skipped": count}
  params = frozen.jitted_init(extractor.config, cfg.weights)(
      jax.random.key(config.get("seed", 0)))
  run = inference.Replicated(params).jit(_batch_fn(extractor))
  for k in todo:
    indices = range(k * shard_size, min((k + 1) * shard_size, len(dataset)))
    final = out_dir / shard_name(k, count)
    tmp = final.with_suffix(".tmp")
    writer = array_record_module.ArrayRecordWriter(os.fspath(tmp),
                                                   "group_size:1")
    for start in range(0, len(indices), batch_size):
      batch_indices = list(indices[start:start + batch_size])
      examples = [dataset[i] for i in batch_indices]
      images = np.stack([e.image for e in examples])
      tokens = tokenizer.encode([e.prompt for e in examples], cfg.text_len)
      keys = np.asarray(features.example_keys(config.extract.seed,
                                              batch_indices))
      feats, t = run(images, tokens, keys)
      for row, (i, example) in enumerate(zip(batch_indices, examples)):
        record = {"index": i, "prompt": example.prompt, "t": int(t[row])}
        record.update({f"block_{b}": feats[b][row] for b in cfg.blocks})
        writer.write(flax.serialization.msgpack_serialize(record))
    writer.close()
    os.replace(tmp, final)
  return {"shards_written": len(todo), "shards_skipped": count - len(todo)}


def read(out: str) -> list[dict[str, Any]]:
  """All records of a finished extraction, in example order."""
  out_dir = pathlib.Path(out)
  with open(out_dir / "metadata.json", encoding="utf-8") as f:
    meta = json.load(f)
  count = math.ceil(meta["examples"] / meta["shard_size"])
  paths = [os.fspath(out_dir / shard_name(k, count)) for k in range(count)]
  missing = [p for p in paths if not os.path.isfile(p)]
  if missing:
    raise FileNotFoundError(f"Unfinished extraction: missing {missing[:3]}; "
                            "rerun extract-features with the same --out.")
  source = array_record_data_source.ArrayRecordDataSource(paths)
  return [flax.serialization.msgpack_restore(source[i])
          for i in range(len(source))]
