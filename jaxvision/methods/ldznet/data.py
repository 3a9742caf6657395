"""LD-ZNet inputs: (image, phrase) -> mask batches for training and evaluation.

`config.data.name` picks the training set:
  shapes_phrase  procedural ShapesPhrase (`synthetic_phrases`), in memory;
                 the held-out test set is drawn from seed + TEST_SEED_OFFSET.
  phrasecut      VGPhraseCut train split under `data.root` (`refseg`).

Training (spec §6): a random square crop of side min(H, W) that keeps the
object visible (a no-op on square images), image bilinear and mask nearest to
S x S, a random prompt template (spec §5). Evaluation follows the CLIPSeg
protocol (pitfall 14): the whole image squashed to S x S, the GT mask nearest
to S x S, and the first template, fixed (pitfall 13).

`data.subset` / `eval.datasets.<name>.subset` (> 0) keep that many records
of a split, drawn once without replacement with `data.subset_seed`: the
"small subset" of PhraseCut train / val the probing study of Fig. 3.4 uses.

Every batch holds "image" float32 [B, S, S, 3] in [-1, 1], "mask" float32
[B, S, S] in {0, 1}, "tokens" int32 [B, L] and "index" int32 [B]: epoch * N +
record, unique along the training stream and a pure function of its
position, to seed the per-example LDM timestep and noise. Eval batches add
"valid" (False on padding) and have index = record.
"""

from typing import Any, Callable

import ml_collections
import numpy as np

from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.data import pipeline
from jaxvision.data import pp
from jaxvision.data import refseg
from jaxvision.data import registry
from jaxvision.data import sources
from jaxvision.data import synthetic_phrases
from jaxvision.methods.ldm import data as ldm_data

TEST_SEED_OFFSET = 1
# REF-CODE crop search: the first of CROP_TRIES random crops whose mask covers
# more than CROP_MIN_COVER of it, else the one covering most.
CROP_TRIES = 50
CROP_MIN_COVER = 0.05


def object_crop(
    mask: np.ndarray,
    rng: np.random.Generator,
    tries: int = CROP_TRIES,
    min_cover: float = CROP_MIN_COVER,
) -> tuple[int, int, int]:
  """(top, left, side) of a random square crop of side min(H, W) of `mask`.

  The crop spans the short axis, so only its offset along the long axis is
  random and the mask pixels of every offset are a sliding-window sum.
  """
  h, w = mask.shape
  side = min(h, w)
  profile = np.count_nonzero(mask, axis=1 if h > w else 0)
  cumulative = np.concatenate([[0], np.cumsum(profile)])
  cover = (cumulative[side:] - cumulative[:-side]) / side**2
  offsets = rng.integers(len(cover), size=tries)
  hits = np.flatnonzero(cover[offsets] > min_cover)
  best = offsets[hits[0]] if hits.size else offsets[np.argmax(cover[offsets])]
  return (int(best), 0, side) if h > w else (0, int(best), side)


def _shapes(
    data_cfg: ml_collections.ConfigDict, num: int, seed: int
) -> sources.ArraySource:
  data = synthetic_phrases.generate(num, seed, data_cfg.image_size)
  return sources.ArraySource({k: data[k] for k in ("image", "mask", "phrase")})


# data.name -> fn(data_cfg) -> the training records.
DATASETS: dict[str, Callable[[ml_collections.ConfigDict], Any]] = {
    "shapes_phrase": lambda d: _shapes(d, d.train_size, d.seed),
    "phrasecut": lambda d: refseg.PhraseCut(d.root, "train"),
}
# eval.datasets.<name>.kind -> fn(data_cfg, entry) -> the eval records.
EVAL_KINDS: dict[str, Callable[[ml_collections.ConfigDict, Any], Any]] = {
    "shapes_phrase": lambda d, e: _shapes(
        d, e.get("size", d.test_size), d.seed + TEST_SEED_OFFSET
    ),
    "phrasecut": lambda d, e: refseg.PhraseCut(
        e["root"], e.get("split", "test")
    ),
    "refcoco": lambda d, e: refseg.RefCoco(
        e["root"],
        e.get("dataset", "refcoco"),
        e.get("split", "val"),
        e.get("image_dir", ""),
    ),
    "aigi": lambda d, e: refseg.AigiFolder(e["root"]),
}


class Subset:
  """`num` records of `source`, drawn once without replacement by `seed`
  and kept in record order; the whole source when `num` is 0 or covers it."""

  def __init__(self, source: Any, num: int, seed: int):
    self._source = source
    n = len(source)
    if 0 < num < n:
      picked = np.random.default_rng(seed).choice(n, num, replace=False)
      self._indices = np.sort(picked)
    else:
      self._indices = np.arange(n)

  def __len__(self) -> int:
    return len(self._indices)

  def __getitem__(self, index: int) -> dict[str, Any]:
    return self._source[int(self._indices[index])]


def _subset(source: Any, num: int, data_cfg: ml_collections.ConfigDict) -> Any:
  if num < 0:
    raise user_errors.InvalidValueError(
        f"A dataset subset must be >= 0 records (0 = all), got {num}."
    )
  return Subset(source, num, data_cfg.get("subset_seed", 0)) if num else source


def train_source(data_cfg: ml_collections.ConfigDict) -> Any:
  """The training records of `data.name` (refseg record layout), cut to
  `data.subset` records when that is set."""
  build = registry.lookup(DATASETS, data_cfg.name, "config.data.name")
  return _subset(build(data_cfg), data_cfg.get("subset", 0), data_cfg)


def eval_source(config: ml_collections.ConfigDict, name: str) -> Any:
  """The records of `config.eval.datasets[name]`."""
  if name not in config.eval.datasets:
    raise user_errors.InvalidValueError(
        f"No eval dataset {name!r}; config.eval.datasets has "
        f"{eval_names(config)}."
    )
  entry = config.eval.datasets[name]
  build = registry.lookup(
      EVAL_KINDS, entry["kind"], f"config.eval.datasets.{name}.kind"
  )
  return _subset(build(config.data, entry), entry.get("subset", 0), config.data)


def eval_names(config: ml_collections.ConfigDict) -> list[str]:
  """The `config.eval.datasets` to evaluate: procedural ones, and file-based
  ones whose `root` is set (paper configs list every test set of the chapter
  with an empty root, to be pointed at local copies by overrides)."""
  return [
      name
      for name, entry in config.eval.datasets.items()
      if entry["kind"] == "shapes_phrase" or entry.get("root", "")
  ]


def preprocess(
    config: ml_collections.ConfigDict,
    source: Any,
    train: bool,
    cache: Any = None,
) -> pipeline.PreprocessFn:
  """`fn(example, rng) -> example` with the keys of the module docstring.

  With a `feature_cache.Cache`, epoch e is preprocessed as the cached epoch
  `cache.view(e)` (same crop, template and index) and the example gains the
  cached frozen-branch outputs ("z", "block_<k>").

  `data.negative_prob` (training only, spec §10) swaps the phrase for that of
  another random record and empties the mask. NOTE: that phrase may still
  name something in the image (often on ShapesPhrase: "red" with a red shape),
  and reading it loads the whole other record (image bytes + mask).
  """
  data_cfg = config.data
  decode = pp.decode()
  resize = pp.resize(
      data_cfg.image_size, "bilinear", keys=("image", "mask"), nearest=("mask",)
  )
  to_unit = pp.value_range(-1, 1)
  tok = ldm_data.config_tokenizer(config.ldm)
  templates = tuple(data_cfg.template_list) if data_cfg.templates else ("{}",)
  negative_prob = data_cfg.get("negative_prob", 0.0) if train else 0.0
  n = len(source)

  def fn(example: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    # NOTE: the pipeline's per-example rng is default_rng((seed, epoch,
    # record)); its entropy is the example's position in the stream.
    stream_seed, epoch, record = rng.bit_generator.seed_seq.entropy
    if cache is not None and cache.view(epoch) != epoch:
      epoch = cache.view(epoch)
      rng = np.random.default_rng((stream_seed, epoch, record))
    image, mask = decode(example, rng)["image"], example["mask"]
    phrase = str(example["phrase"])
    if train:
      top, left, side = object_crop(mask, rng)
      image = image[top : top + side, left : left + side]
      mask = mask[top : top + side, left : left + side]
    if negative_prob and n > 1 and rng.random() < negative_prob:
      other = int(rng.integers(n - 1))
      phrase = str(source[other + (other >= record)]["phrase"])
      mask = np.zeros_like(mask)
    template = templates[rng.integers(len(templates)) if train else 0]
    out = to_unit(resize({"image": image, "mask": mask}, rng), rng)
    index = (epoch * n + record) % 2**31
    example = {
        "image": out["image"],
        "mask": out["mask"].astype(np.float32),
        "tokens": tok.encode([template.format(phrase)], config.ldm.text_len)[0],
        "index": np.int32(index),
    }
    if cache is not None:
      example.update(cache.outputs(index))
    return example

  return fn


def make_train_data(
    ctx: method_lib.StageContext,
    seed: int,
    open_cache: Callable[[int], Any] | None = None,
) -> pipeline.DataIterator:
  """Resumable host-local training batches of `ctx.local_batch_size`.

  `open_cache(num_records)`, if given, opens the feature cache the batches
  read (see `preprocess`).
  """
  config = ctx.config
  source = train_source(config.data)
  cache = open_cache(len(source)) if open_cache is not None else None
  return pipeline.host_iterator(
      source,
      config.data,
      pp_fn=preprocess(config, source, train=True, cache=cache),
      global_batch_size=ctx.stage.batch_size,
      seed=seed,
  )


def make_caption_data(
    ctx: method_lib.StageContext, seed: int
) -> pipeline.DataIterator:
  """Batches of "image" [B, S, S, 3] in [-1, 1] and "tokens" of the caption
  that lists every shape, for the tiny-LDM pretraining stages (`pretrain`).

  Only ShapesPhrase has such captions; larger configs load a pretrained LDM
  (`ldm.weights`) instead.
  """
  config = ctx.config
  data_cfg = config.data
  if data_cfg.name != "shapes_phrase":
    raise user_errors.InvalidValueError(
        f"Stage {ctx.stage.name!r} pretrains the tiny LDM on ShapesPhrase "
        f"captions, but data.name={data_cfg.name!r}. Drop the ldm_* stages "
        "and point ldm.weights at converted SD weights (python -m "
        "jaxvision.main convert sd-v1 ...)."
    )
  generated = synthetic_phrases.generate(
      data_cfg.train_size, data_cfg.seed, data_cfg.image_size
  )
  source = sources.ArraySource(
      {"image": generated["image"], "caption": generated["caption"]}
  )
  tok = ldm_data.config_tokenizer(config.ldm)
  to_unit = pp.value_range(-1, 1)

  def fn(example: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    image = to_unit({"image": example["image"]}, rng)["image"]
    return {
        "image": image,
        "tokens": tok.encode([str(example["caption"])], config.ldm.text_len)[0],
    }

  return pipeline.host_iterator(
      source,
      data_cfg,
      pp_fn=fn,
      global_batch_size=ctx.stage.batch_size,
      seed=seed,
  )


def make_eval_data(
    config: ml_collections.ConfigDict, name: str, batch_size: int
) -> pipeline.DataIterator:
  """One padded in-order pass over eval dataset `name`; "valid" marks real
  examples (not "mask", which is the GT)."""
  source = eval_source(config, name)
  return pipeline.host_eval_iterator(
      source,
      config.data,
      pp_fn=preprocess(config, source, train=False),
      batch_size=batch_size,
      mask_key="valid",
  )
