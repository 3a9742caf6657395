"""Evaluation-mode inference and the `predict` command (mask + overlay PNG)."""

import argparse
import os

import jax
import ml_collections
import numpy as np
from PIL import Image

from jaxvision import visualize
from jaxvision.core import inference
from jaxvision.methods.ldm import data as ldm_data
from jaxvision.methods.ldm import features
from jaxvision.methods.ldznet import coarse_mask
from jaxvision.methods.ldznet import forward as forward_lib


class Segmenter:
  """Evaluation-mode inference (fixed t and noise per example) on numpy."""

  def __init__(self, config: ml_collections.ConfigDict, params, ldm_params):
    self._config = config
    forward = forward_lib.make_forward(config, training=False)
    self._run = inference.Replicated({"net": params, "ldm": ldm_params}).jit(
        lambda p, images, tokens, keys: jax.nn.sigmoid(
            forward(p["net"], p["ldm"], images, tokens, keys)
        )
    )

  def probabilities(
      self, images: np.ndarray, tokens: np.ndarray, indices: np.ndarray
  ) -> np.ndarray:
    """Foreground probabilities [B, H, W] for images in [-1, 1]."""
    keys = np.asarray(features.example_keys(self._config.eval.seed, indices))
    return self._run(
        np.asarray(images, np.float32), np.asarray(tokens, np.int32), keys
    )


def predict(ctx, state, argv: list[str]) -> dict[str, object]:
  """`predict --image X.png --prompt "..." --out DIR`.

  The image is squashed to `ldm.image_size` (the test protocol); writes
  `<stem>_mask.png` (probability, 0-255) and `<stem>_overlay.png` (the mask
  at the best-IoU threshold of the config, `eval.threshold`, over the image)
  at the input's resolution, plus the raw probabilities as `.npy`.
  `--coarse_mask` adds `<stem>_coarse_mask.png`: Fig. 3.1's training-free
  map of the frozen LDM (`coarse_mask`), at `--coarse_mask_t`.
  """
  parser = argparse.ArgumentParser(prog="predict (ldznet)")
  parser.add_argument("--image", required=True, help="input image file")
  parser.add_argument("--prompt", required=True, help="phrase to segment")
  parser.add_argument("--out", required=True, help="output directory")
  parser.add_argument(
      "--coarse_mask",
      action="store_true",
      help="also write Fig. 3.1's LDM noise-difference map",
  )
  parser.add_argument(
      "--coarse_mask_t",
      type=int,
      default=coarse_mask.DEFAULT_T,
      help="timestep of the coarse mask (0-indexed)",
  )
  args = parser.parse_args(argv)
  if not os.path.exists(args.image):
    raise FileNotFoundError(f"--image {args.image!r} does not exist.")
  if not args.prompt.strip():
    raise ValueError("--prompt is empty: give the phrase to segment.")
  config = ctx.config
  size = config.ldm.image_size
  with Image.open(args.image) as image:
    original = np.asarray(image.convert("RGB"))
  squashed = (
      np.asarray(
          Image.fromarray(original).resize(
              (size, size), Image.Resampling.BILINEAR
          ),
          np.float32,
      )
      / 127.5
      - 1
  )
  tokenizer = ldm_data.config_tokenizer(config.ldm)
  tokens = tokenizer.encode([args.prompt], config.ldm.text_len)
  segmenter = Segmenter(
      config,
      jax.device_get(state.params["net"]),
      jax.device_get(state.frozen["ldm"]),
  )
  probs = segmenter.probabilities(squashed[None], tokens, np.zeros(1))[0]
  height, width = original.shape[:2]
  # NOTE: probabilities are resized after the sigmoid (pitfall 14).
  probs = np.asarray(
      Image.fromarray(probs.astype(np.float32)).resize(
          (width, height), Image.Resampling.BILINEAR
      )
  ).clip(0, 1)
  stem = os.path.splitext(os.path.basename(args.image))[0]
  os.makedirs(args.out, exist_ok=True)
  mask_path = visualize.save_png(
      os.path.join(args.out, f"{stem}_mask.png"), visualize.to_uint8(probs)
  )
  overlay_path = visualize.save_png(
      os.path.join(args.out, f"{stem}_overlay.png"),
      visualize.overlay(original, probs > config.eval.threshold),
  )
  np.save(os.path.join(args.out, f"{stem}_probs.npy"), probs)
  out = {
      "mask_png": mask_path,
      "overlay_png": overlay_path,
      "foreground_fraction": float((probs > config.eval.threshold).mean()),
  }
  if args.coarse_mask:
    extractor = features.from_config(config.ldm)
    maps = jax.jit(coarse_mask.noise_difference_norm, static_argnums=(0, 6))(
        extractor,
        jax.device_get(state.frozen["ldm"]),
        squashed[None],
        np.asarray(tokens, np.int32),
        np.asarray(tokenizer.encode([""], config.ldm.text_len), np.int32),
        np.asarray(features.example_keys(config.eval.seed, np.zeros(1))),
        args.coarse_mask_t,
    )
    coarse = np.asarray(coarse_mask.normalise(maps)[0], np.float32)
    coarse = np.asarray(
        Image.fromarray(coarse).resize(
            (width, height), Image.Resampling.BILINEAR
        )
    ).clip(0, 1)
    out["coarse_mask_png"] = visualize.save_png(
        os.path.join(args.out, f"{stem}_coarse_mask.png"),
        visualize.to_uint8(coarse),
    )
  return out
