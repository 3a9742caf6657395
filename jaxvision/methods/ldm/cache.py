"""Feature caches: array_record shards of per-example records, resumable.

`extract-features` of the `ldm` method writes the LDM features of a dataset
(`extract`); LD-ZNet writes those of its training stream with the same
writer (`jaxvision/methods/ldznet/feature_cache.py`).

Shard k holds examples [k * shard_size, (k + 1) * shard_size) as msgpack
records (here {"index", "prompt", "t", "block_<k>": float array}). A shard is
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
from typing import Any, Callable, Iterable, Sequence

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

Record = dict[str, Any]


def shard_name(index: int, count: int) -> str:
  return f"features-{index:05d}-of-{count:05d}.array_record"


def _metadata(config: ml_collections.ConfigDict, n: int, shapes) -> dict:
  cfg = config.ldm
  return {
      "examples": n,
      "shard_size": config.extract.shard_size,
      "seed": config.extract.seed,
      "blocks": list(cfg.blocks),
      "shapes": {str(k): list(v) for k, v in shapes.items()},
      "timesteps": cfg.timesteps.to_dict(),
      "posterior": cfg.posterior,
      "scale_factor": cfg.scale_factor,
      "weights": cfg.weights,
      "image_size": cfg.image_size,
      "architecture": features.architecture(cfg).architecture().to_dict(),
  }


def _check_metadata(out: pathlib.Path, meta: dict) -> None:
  path = out / "metadata.json"
  if path.is_file():
    with open(path, encoding="utf-8") as f:
      old = json.load(f)
    if old != json.loads(json.dumps(meta)):
      raise ValueError(
          f"{str(out)!r} holds features of another config "
          f"({old}); use a new --out folder."
      )
  elif jax.process_index() == 0:
    with open(path, "w", encoding="utf-8") as f:
      json.dump(meta, f, indent=1)


def write_shards(
    out: str,
    meta: dict[str, Any],
    batch_size: int,
    records_of: Callable[[], Callable[[Sequence[int]], Iterable[Record]]],
) -> dict[str, int]:
  """Writes this host's missing shards of `meta["examples"]` records.

  `records_of()` is called only when a shard is missing (it may load
  weights and compile) and returns `fn(indices) -> records`, called with
  batches of up to `batch_size` consecutive example indices.
  """
  out_dir = pathlib.Path(out)
  out_dir.mkdir(parents=True, exist_ok=True)
  _check_metadata(out_dir, meta)
  n, shard_size = meta["examples"], meta["shard_size"]
  count = math.ceil(n / shard_size)
  todo = [
      k
      for k in range(count)
      if k % jax.process_count() == jax.process_index()
      and not (out_dir / shard_name(k, count)).is_file()
  ]
  if not todo:
    return {"shards_written": 0, "shards_skipped": count}
  records_fn = records_of()
  for k in todo:
    indices = range(k * shard_size, min((k + 1) * shard_size, n))
    final = out_dir / shard_name(k, count)
    tmp = final.with_suffix(".tmp")
    writer = array_record_module.ArrayRecordWriter(
        os.fspath(tmp), "group_size:1"
    )
    for start in range(0, len(indices), batch_size):
      for record in records_fn(list(indices[start : start + batch_size])):
        writer.write(flax.serialization.msgpack_serialize(record))
    writer.close()
    os.replace(tmp, final)
  return {"shards_written": len(todo), "shards_skipped": count - len(todo)}


class Reader:
  """Random access to the records of a finished extraction, by example index.

  Attributes:
    meta: the extraction's `metadata.json`.
  """

  def __init__(self, out: str):
    out_dir = pathlib.Path(out)
    path = out_dir / "metadata.json"
    if not path.is_file():
      raise FileNotFoundError(
          f"No feature cache at {str(out_dir)!r} (no metadata.json): write one "
          "with `python -m jaxvision.main extract-features --config ... --out "
          f"{out}`."
      )
    with open(path, encoding="utf-8") as f:
      self.meta = json.load(f)
    count = math.ceil(self.meta["examples"] / self.meta["shard_size"])
    paths = [os.fspath(out_dir / shard_name(k, count)) for k in range(count)]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
      raise FileNotFoundError(
          f"Unfinished extraction: missing {missing[:3]}; "
          "rerun extract-features with the same --out."
      )
    self._source = array_record_data_source.ArrayRecordDataSource(paths)

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index: int) -> Record:
    return flax.serialization.msgpack_restore(self._source[index])


@functools.lru_cache(maxsize=4)
def _batch_fn(extractor: features.Extractor):
  """(features, t) of a batch; one function object per extractor, so that a
  second extraction in the same process reuses the compiled program."""

  def fn(params, images, tokens, keys):
    return extractor(params, images, tokens, keys), extractor.draw_timesteps(
        keys
    )

  return fn


def extract(config: ml_collections.ConfigDict, out: str) -> dict[str, Any]:
  """Writes the missing shards of the LDM features of `config.data`."""
  cfg = config.ldm
  extractor = features.from_config(cfg)
  dataset = data.load(config.data, cfg.image_size)
  meta = _metadata(
      config, len(dataset), extractor.feature_shapes(cfg.image_size)
  )

  def records_of():
    tokenizer = data.config_tokenizer(cfg)
    params = frozen.jitted_init(extractor.config, cfg.weights)(
        jax.random.key(config.get("seed", 0))
    )
    run = inference.Replicated(params).jit(_batch_fn(extractor))

    def records(indices):
      examples = [dataset[i] for i in indices]
      images = np.stack([e.image for e in examples])
      tokens = tokenizer.encode([e.prompt for e in examples], cfg.text_len)
      keys = np.asarray(features.example_keys(config.extract.seed, indices))
      feats, t = run(images, tokens, keys)
      for row, (i, example) in enumerate(zip(indices, examples)):
        record = {"index": i, "prompt": example.prompt, "t": int(t[row])}
        record.update({f"block_{b}": feats[b][row] for b in cfg.blocks})
        yield record

    return records

  return write_shards(out, meta, config.extract.batch_size, records_of)


def read(out: str) -> list[Record]:
  """All records of a finished extraction, in example order."""
  reader = Reader(out)
  return [reader[i] for i in range(len(reader))]
