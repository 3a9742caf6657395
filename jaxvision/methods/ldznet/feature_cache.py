"""LD-ZNet trained from cached frozen-branch outputs (`extract-features`).

A training example's frozen-branch outputs are a pure function of its
position in the stage's training stream: the pipeline preprocesses record r
of epoch e with `default_rng((stream_seed, e, r))` (crop, template), and the
LDM timestep, posterior sample and noise come from `example_keys(seed,
index)` with index = e * N + r. So `extract-features` on an LD-ZNet config
runs the segment stage's own stream for `extract.epochs` epochs and stores,
per index, "z" (the scaled latent) and "block_<k>" (F_k of the injected
blocks); a run with `ldm.feature_cache` set reads them instead of running the
autoencoder and the LDM UNet, and so trains on the examples and features an
on-the-fly run computes. Past the cached epochs, epoch e reuses the views of
epoch e mod E (same crop, template, t and noise; a new order).

Only the training stream is cached: evaluation runs the frozen branch (at the
fixed t_eval). The cached LDM must exist before the run (`ldm.weights`, or the
seeded random init of a CPU config), not be pretrained by an earlier stage.
"""

import functools
import json
from typing import Any

import jax
import ml_collections
import numpy as np

from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.core import optim
from jaxvision.core import train as train_lib
from jaxvision.methods.ldm import cache
from jaxvision.methods.ldm import features
from jaxvision.methods.ldznet import data as data_lib
from jaxvision.methods.ldznet import forward as forward_lib
from jaxvision.methods.ldznet import pretrain

# Metadata that may differ between an extraction and the run reading it.
_LAYOUT_KEYS = ("examples", "epochs", "shard_size")


def cached_stage(config: ml_collections.ConfigDict) -> int:
  """The segment stage whose stream is cached (`extract.stage`, default the
  last), checked to be one whose frozen branch can be cached."""
  count = len(config.stages)
  index = config.extract.get("stage", -1) % count
  stage = config.stages[index]
  if pretrain.stage_kind(stage) != pretrain.SEGMENT:
    raise ValueError(
        f"extract.stage={index} ({stage.name!r}) is not a "
        "segmentation stage; point it at one."
    )
  if config.model.input == "rgb":
    raise ValueError(
        "RGBNet reads images, not LDM outputs: there is nothing " "to cache."
    )
  trainers = [
      s.name
      for s in config.stages[:index]
      if "ldm" in optim.trained_roles(s.optim, ["net", "ldm"])
  ]
  if trainers:
    raise ValueError(
        f"Stages {trainers} train the LDM inside the run, so its features "
        "do not exist before it; cache features of an LDM from ldm.weights "
        "(or drop those stages)."
    )
  return index


def metadata(
    config: ml_collections.ConfigDict,
    stage_index: int,
    stream_seed: int,
    records: int,
    epochs: int,
    shard_size: int,
) -> dict[str, Any]:
  """What determines the cached values, plus the cache's layout."""
  cfg = config.ldm
  data = {k: v for k, v in config.data.to_dict().items() if k != "worker_count"}
  meta = {
      "method": "ldznet",
      "stage": stage_index,
      "stream_seed": stream_seed,
      "key_seed": config.seed,
      "records": records,
      "keys": list(forward_lib.cached_keys(config)),
      "timesteps": cfg.timesteps.to_dict(),
      "posterior": cfg.posterior,
      "scale_factor": cfg.scale_factor,
      "weights": cfg.weights,
      "image_size": cfg.image_size,
      "text_len": cfg.text_len,
      "tokenizer": cfg.tokenizer,
      "architecture": features.architecture(cfg).architecture().to_dict(),
      "data": data,
      "examples": records * epochs,
      "epochs": epochs,
      "shard_size": shard_size,
  }
  return json.loads(json.dumps(meta))


def extract(config: ml_collections.ConfigDict, out: str) -> dict[str, Any]:
  """Writes the frozen-branch outputs of `extract.epochs` epochs of the
  segment stage's training stream to `out` (resumable, see `ldm.cache`)."""
  index = cached_stage(config)
  source = data_lib.train_source(config.data)
  n = len(source)
  seed = method_lib.data_seed(config, index)
  meta = metadata(
      config, index, seed, n, config.extract.epochs, config.extract.shard_size
  )
  keys_out = forward_lib.cached_keys(config)
  ext = forward_lib.extractor(config, training=True)

  def outputs(ldm_params, images, tokens, keys):
    z, context = ext.encode(ldm_params, images, tokens, keys)
    out = {"z": z, "t": ext.draw_timesteps(keys)}
    if config.ldm.enabled:
      feats = ext.from_latents(ldm_params, z, context, keys)
      out.update({f"block_{k}": v for k, v in feats.items()})
    return out

  def records_of():
    preprocess = data_lib.preprocess(config, source, train=True)
    ldm_params = jax.jit(functools.partial(forward_lib.frozen_ldm, config))(
        train_lib.base_rng(config, index)
    )
    run = inference.Replicated(ldm_params).jit(outputs)

    def records(indices):
      examples = [
          preprocess(
              source[i % n], np.random.default_rng((seed, i // n, i % n))
          )
          for i in indices
      ]
      batch = {
          k: np.stack([e[k] for e in examples])
          for k in ("image", "tokens", "index")
      }
      got = run(
          batch["image"],
          batch["tokens"],
          np.asarray(features.example_keys(config.seed, batch["index"])),
      )
      for row, i in enumerate(indices):
        record = {"index": i, "t": int(got["t"][row])}
        record.update({k: got[k][row] for k in keys_out})
        yield record

    return records

  return cache.write_shards(out, meta, config.extract.batch_size, records_of)


class Cache:
  """The cached frozen-branch outputs a stage's training stream reads."""

  def __init__(
      self,
      config: ml_collections.ConfigDict,
      stage_index: int,
      stream_seed: int,
      records: int,
  ):
    self.path = config.ldm.feature_cache
    self.reader = cache.Reader(self.path)
    meta = self.reader.meta
    self.epochs = int(meta.get("epochs", 0))
    expected = metadata(
        config,
        stage_index,
        stream_seed,
        records,
        self.epochs,
        meta.get("shard_size", 0),
    )
    differ = sorted(
        k
        for k in set(meta) | set(expected)
        if k not in _LAYOUT_KEYS and meta.get(k) != expected.get(k)
    )
    if differ:
      raise ValueError(
          f"ldm.feature_cache={self.path!r} was extracted with another "
          f"{differ} than this run uses (cache: "
          f"{ {k: meta.get(k) for k in differ} }, run: "
          f"{ {k: expected.get(k) for k in differ} }); rerun extract-features "
          "with this config into a new folder."
      )
    self.keys = tuple(meta["keys"])

  def view(self, epoch: int) -> int:
    """The cached epoch whose views epoch `epoch` reuses."""
    return epoch % self.epochs

  def outputs(self, index: int) -> dict[str, np.ndarray]:
    """The cached arrays of stream position `index`."""
    record = self.reader[index]
    if record["index"] != index:
      raise ValueError(
          f"{self.path!r} is corrupt: position {index} holds "
          f"example {record['index']}."
      )
    return {k: np.asarray(record[k]) for k in self.keys}
