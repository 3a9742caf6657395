"""RECLIP evaluation on held-out splits: zero-shot classification, retrieval.

Evaluations are listed in `config.evals` (name -> dict with a `type`):
  shapes_zeroshot   zero-shot attribute classification on a synthetic
                    shapes_captions split (one task per attribute, prompt
                    ensemble over `templates`).
  shapes_retrieval  image<->caption Recall@K on the same split, on the images
                    whose full caption is unique (so ground truth is exact).
  imagenet_folder   zero-shot top-1/top-5 on an ImageNet-style class folder
                    tree (CLIP's 80 templates and class names by default;
                    `class_index_file` maps 200-class subsets such as
                    ImageNet-A/R into the 1000-class space).
  karpathy          COCO / Flickr30K Karpathy-split retrieval R@1/5/10.
Evaluation runs at the resolution and text length of the stage being
evaluated (spec 7.3-7.4).
"""

import os
from typing import Any

import numpy as np

from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.data import image_text
from jaxvision.data import pipeline
from jaxvision.data import synthetic
from jaxvision.evaluators import retrieval
from jaxvision.evaluators import zeroshot
from jaxvision.methods.reclip import data
from jaxvision.methods.reclip import figures
from jaxvision.methods.reclip import model as model_lib

RETRIEVAL_EXAMPLES = 8  # query images in the retrieval figure


class Embedder:
  """Jitted image/text embedding on this host's devices."""

  def __init__(
      self, ctx: method_lib.StageContext, params: Any, vocab_size: int
  ):
    replicated = inference.Replicated(params)
    model = model_lib.build(ctx.config, ctx.stage, vocab_size)
    self._images = replicated.jit(
        lambda p, x: model.apply(
            {"params": p}, x, method=model_lib.TwoTower.embed_images
        )
    )
    self._texts = replicated.jit(
        lambda p, t: model.apply(
            {"params": p}, t, method=model_lib.TwoTower.embed_texts
        )
    )

  def images(self, images: np.ndarray) -> np.ndarray:
    return self._images(np.asarray(images, np.float32))

  def texts(self, tokens: np.ndarray) -> np.ndarray:
    return self._texts(np.asarray(tokens, np.int32))


def _embed_split(
    ctx,
    embedder: Embedder,
    source,
    pp_string: str,
    text_key: str,
    label_keys=(),
    keep_images: int = 0,
) -> dict[str, np.ndarray]:
  """Image and text embeddings (+ labels) of every example of a split, and
  the first `keep_images` preprocessed images (for figures)."""
  config = ctx.config
  keep = ("image", "tokens", *label_keys)
  chain = data.preprocess(config, ctx.stage, pp_string, text_key)
  chain = _keeping(chain, keep)
  iterator = pipeline.make_eval_iterator(
      source, pp_fn=chain, batch_size=config.eval_batch_size
  )
  out = {
      "image_emb": [],
      "text_emb": [],
      "images": [],
      **{k: [] for k in label_keys},
  }
  kept = 0
  for batch in iterator:
    mask = np.asarray(batch["mask"], bool)
    if kept < keep_images:
      out["images"].append(
          np.asarray(batch["image"])[mask][: keep_images - kept]
      )
      kept += len(out["images"][-1])
    out["image_emb"].append(embedder.images(batch["image"])[mask])
    out["text_emb"].append(embedder.texts(batch["tokens"])[mask])
    for k in label_keys:
      out[k].append(np.asarray(batch[k])[mask])
  return {k: np.concatenate(v) for k, v in out.items() if v}


def _keeping(chain, keep):
  """Replaces the chain's final keep() so labels survive preprocessing."""

  def fn(example, rng):
    labels = {k: example[k] for k in keep if k in example}
    out = chain(example, rng)
    out.update(
        {
            k: np.asarray(v)
            for k, v in labels.items()
            if k not in ("image", "tokens")
        }
    )
    return out

  return fn


def shapes_zeroshot(ctx, embedder, cfg, vocab_size) -> dict[str, float]:
  del vocab_size
  source = data.open_source(ctx.config.data, cfg.split)
  attributes = list(cfg.attributes)
  split = _embed_split(
      ctx,
      embedder,
      source,
      ctx.config.data.pp_eval,
      "caption_full",
      tuple(attributes),
  )
  tok = data.tokenizer(ctx.config)
  out_dir = figures.directory(ctx.workdir, ctx.stage.name)
  results, tops, chances = {}, [], []
  for attr in attributes:
    names = list(synthetic.SHAPES_CAPTIONS_ATTRIBUTES[attr])
    templates = cfg.get("attribute_templates", {}).get(attr, cfg.templates)
    class_emb = zeroshot.class_embeddings(
        embedder.texts,
        tok,
        names,
        list(templates),
        ctx.stage.text_len,
        batch_size=ctx.config.eval_batch_size,
    )
    acc = zeroshot.accuracy(split["image_emb"], class_emb, split[attr], ks=(1,))
    if out_dir:
      predictions = np.argmax(
          retrieval.l2_normalize(split["image_emb"], "image_emb") @ class_emb.T,
          axis=1,
      )
      figures.save_confusion(
          os.path.join(out_dir, f"zeroshot_{attr}_confusion.png"),
          split[attr],
          predictions,
          names,
          f"zero-shot {attr}\ntop-1 {acc['top1']:.3f} (held-out)",
      )
    results[f"zeroshot_{attr}_top1"] = acc["top1"]
    tops.append(acc["top1"])
    chances.append(1.0 / len(names))
  results["zeroshot_top1"] = float(np.mean(tops))
  results["chance_top1"] = float(np.mean(chances))
  return results


def shapes_retrieval(ctx, embedder, cfg, vocab_size) -> dict[str, float]:
  del vocab_size
  source = data.open_source(ctx.config.data, cfg.split)
  split = _embed_split(
      ctx,
      embedder,
      source,
      ctx.config.data.pp_eval,
      "caption_full",
      ("caption_full",),
      keep_images=RETRIEVAL_EXAMPLES,
  )
  captions = [
      c.decode() if isinstance(c, bytes) else str(c)
      for c in split["caption_full"]
  ]
  _, first = np.unique(captions, return_index=True)
  first = np.sort(first)
  metrics = retrieval.recall_at_k(
      split["image_emb"][first],
      split["text_emb"][first],
      np.arange(len(first)),
      ks=(1, 5),
  )
  out_dir = figures.directory(ctx.workdir, ctx.stage.name)
  if out_dir:
    shown = first[first < len(split["images"])]
    texts = retrieval.l2_normalize(split["text_emb"][first], "text_emb")
    best = np.argmax(
        retrieval.l2_normalize(split["image_emb"][shown], "image_emb")
        @ texts.T,
        axis=1,
    )
    figures.save_retrieval_examples(
        os.path.join(out_dir, "retrieval_examples.png"),
        split["images"][shown],
        [captions[i] for i in shown],
        [captions[first[j]] for j in best],
    )
  metrics["chance_r1"] = 1.0 / len(first)
  metrics["retrieval_pairs"] = float(len(first))
  return metrics


def imagenet_folder(ctx, embedder, cfg, vocab_size) -> dict[str, float]:
  del vocab_size
  source = image_text.ImageFolder(
      cfg.path, class_index_file=cfg.get("class_index_file", None)
  )
  chain = _keeping(
      data.preprocess(ctx.config, ctx.stage, cfg.pp, "label_text"),
      ("image", "label"),
  )
  iterator = pipeline.make_eval_iterator(
      _WithText(source), pp_fn=chain, batch_size=ctx.config.eval_batch_size
  )
  tok = data.tokenizer(ctx.config)
  class_emb = zeroshot.class_embeddings(
      embedder.texts,
      tok,
      zeroshot.load_classnames(cfg.get("classnames")),
      zeroshot.load_templates(cfg.get("templates")),
      ctx.stage.text_len,
      batch_size=ctx.config.eval_batch_size,
  )
  subset = source.class_subset if cfg.get("class_index_file") else None
  out = zeroshot.evaluate(
      embedder.images, iterator, class_emb, class_subset=subset
  )
  return {f"{cfg.name}_top1": out["top1"], f"{cfg.name}_top5": out["top5"]}


class _WithText:
  """Adds an empty text field so the shared pp chain can run on a folder."""

  def __init__(self, source):
    self._source = source

  def __len__(self):
    return len(self._source)

  def __getitem__(self, i):
    return {**self._source[i], "label_text": ""}


def karpathy(ctx, embedder, cfg, vocab_size) -> dict[str, float]:
  del vocab_size
  annotations, images, layout = _karpathy_files(cfg)
  source = image_text.KarpathyCaptions(
      annotations, images, cfg.get("split", "test"), layout
  )
  chain = data.preprocess(ctx.config, ctx.stage, cfg.pp, "captions")
  num_captions = cfg.get("captions_per_image", 5)

  def pp_fn(example, rng):
    example = dict(example)
    captions = list(example["captions"])[:num_captions]
    example["caption_mask"] = np.arange(num_captions) < len(captions)
    example["captions"] = captions + [""] * (num_captions - len(captions))
    out = chain(example, rng)
    out["caption_mask"] = example["caption_mask"]
    return out

  iterator = pipeline.make_eval_iterator(
      source, pp_fn=pp_fn, batch_size=ctx.config.eval_batch_size
  )
  out = retrieval.evaluate(embedder.images, embedder.texts, iterator)
  return {f"{cfg.dataset}_{k}": v for k, v in out.items()}


EVALUATORS = {
    "shapes_zeroshot": shapes_zeroshot,
    "shapes_retrieval": shapes_retrieval,
    "imagenet_folder": imagenet_folder,
    "karpathy": karpathy,
}


def _karpathy_files(cfg) -> tuple[str, str, str]:
  """(annotation json, image dir, expected layout) of a karpathy eval."""
  root = os.path.expanduser(cfg.root)
  if cfg.dataset == "coco":
    return (
        os.path.join(root, "dataset_coco.json"),
        root,
        image_text.COCO_LAYOUT,
    )
  return (
      os.path.join(root, "dataset_flickr30k.json"),
      os.path.join(root, "flickr30k-images"),
      image_text.FLICKR30K_LAYOUT,
  )


def check_inputs(config) -> None:
  """Fails fast (before training) on evaluations that could not run later.

  A misspelt eval type or a missing ImageNet/COCO/Flickr copy would
  otherwise surface only at the end of a stage, after hours of training.
  """
  for name, cfg in config.get("evals", {}).items():
    if cfg.type not in EVALUATORS:
      raise ValueError(
          f"evals.{name}.type={cfg.type!r} is not one of "
          f"{sorted(EVALUATORS)}."
      )
    if cfg.type == "imagenet_folder":
      path = os.path.expanduser(cfg.path)
      if not os.path.isdir(path):
        raise FileNotFoundError(
            f"evals.{name}.path={cfg.path!r} is not a directory; "
            f"{image_text.IMAGE_FOLDER_LAYOUT}\nSet --config.evals.{name}.path"
            f" or drop the evaluation."
        )
    elif cfg.type == "karpathy":
      if cfg.dataset not in ("coco", "flickr30k"):
        raise ValueError(
            f"evals.{name}.dataset must be 'coco' or "
            f"'flickr30k', got {cfg.dataset!r}."
        )
      annotations, images, layout = _karpathy_files(cfg)
      for path in (annotations, images):
        if not os.path.exists(path):
          raise FileNotFoundError(
              f"evals.{name}: {path!r} not found; {layout}\nSet "
              f"--config.evals.{name}.root or drop the evaluation."
          )


def evaluate(ctx: method_lib.StageContext, state) -> dict[str, float]:
  """Runs every configured evaluation on the state's current params."""
  vocab_size = data.tokenizer(ctx.config).vocab_size
  embedder = Embedder(ctx, state.params["model"], vocab_size)
  results = {}
  check_inputs(ctx.config)
  for cfg in ctx.config.evals.values():
    results.update(EVALUATORS[cfg.type](ctx, embedder, cfg, vocab_size))
  return results
