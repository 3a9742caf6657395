"""`predict`: zero-shot classification of image files with a trained model.

  python -m jaxvision.main predict --config configs/reclip/smoke.py \
      --workdir workdirs/reclip_smoke -- --image a.png --image b.png \
      --classes "red circle,blue square" [--templates "a {} object"] [--top_k 3]

Images go through the config's eval preprocessing at the resolution of the
checkpoint's stage; classes are embedded with the prompt ensemble (CLIP's 80
templates when neither --templates nor --classes_file/--templates_file is
given). Prints, per image, its top-k classes and softmax probabilities at the
learned temperature.
"""

import argparse
import os
from typing import Any

import numpy as np
from PIL import Image

from jaxvision.evaluators import retrieval
from jaxvision.evaluators import zeroshot
from jaxvision.methods.reclip import data
from jaxvision.methods.reclip import evaluate as evaluate_lib


def _parse(argv: list[str]) -> argparse.Namespace:
  parser = argparse.ArgumentParser(prog="predict (reclip)")
  parser.add_argument(
      "--image",
      action="append",
      required=True,
      help="an image file (repeatable)",
  )
  classes = parser.add_mutually_exclusive_group(required=True)
  classes.add_argument("--classes", help="comma-separated class names")
  classes.add_argument("--classes_file", help="one class name per line")
  templates = parser.add_mutually_exclusive_group()
  templates.add_argument(
      "--templates", help="'|'-separated prompt templates with {}"
  )
  templates.add_argument("--templates_file", help="one template per line")
  parser.add_argument("--top_k", type=int, default=3)
  return parser.parse_args(argv)


def _load_image(path: str, pp_string: str) -> Any:
  """Encoded bytes when the pp chain decodes, else a uint8 RGB array."""
  if not os.path.isfile(path):
    raise FileNotFoundError(f"No image file at {path!r}.")
  if pp_string.lstrip().startswith("decode"):
    with open(path, "rb") as f:
      return f.read()
  try:
    return np.asarray(Image.open(path).convert("RGB"))
  except OSError as e:
    raise ValueError(f"Cannot decode image {path!r}: {e}") from e


def predict(ctx, state, argv: list[str]) -> dict[str, Any]:
  args = _parse(argv)
  classnames = (
      [c.strip() for c in args.classes.split(",") if c.strip()]
      if args.classes
      else zeroshot.load_classnames(args.classes_file)
  )
  templates = (
      args.templates.split("|")
      if args.templates
      else zeroshot.load_templates(args.templates_file)
  )
  if not 1 <= args.top_k:
    raise ValueError(f"--top_k must be >= 1, got {args.top_k}.")
  top_k = min(args.top_k, len(classnames))
  config, params = ctx.config, state.params["model"]
  embedder = evaluate_lib.Embedder(ctx, params, data.vocab_size(config))
  class_emb = zeroshot.class_embeddings(
      embedder.texts,
      data.tokenizer(config),
      classnames,
      templates,
      ctx.stage.text_len,
      batch_size=config.eval_batch_size,
  )
  chain = data.preprocess(config, ctx.stage, config.data.pp_eval, "text")
  images = np.stack(
      [
          chain(
              {"image": _load_image(p, config.data.pp_eval), "text": ""},
              np.random.default_rng(0),
          )["image"]
          for p in args.image
      ]
  )
  image_emb = retrieval.l2_normalize(embedder.images(images), "images")
  scale = float(np.exp(np.asarray(params["logit_scale"])))
  logits = scale * image_emb @ class_emb.T
  probs = np.exp(logits - logits.max(-1, keepdims=True))
  probs /= probs.sum(-1, keepdims=True)
  out = {}
  for i, path in enumerate(args.image):
    order = np.argsort(-probs[i])[:top_k]
    out[f"image{i}"] = path
    for rank, c in enumerate(order, 1):
      out[f"image{i}_top{rank}"] = classnames[c]
      out[f"image{i}_p{rank}"] = float(probs[i, c])
  return out
