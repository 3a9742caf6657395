"""Inference T(G(x)) with eval-mode BatchNorm (pitfall 1), and `predict`.

G is part of the model at test time: dropping it changes the predictions.
With `model.use_generator=False` (the ablations without the SharinGAN
module) the task net sees the raw image.
"""

import argparse
import os

import jax
import numpy as np
from PIL import Image

from jaxvision import visualize
from jaxvision.core import inference
from jaxvision.evaluators import normals as normals_eval
from jaxvision.methods.sharingan import losses
from jaxvision.methods.sharingan import model as model_lib


class Predictor:
  """Jitted T(G(x)) on this host's devices; numpy in, numpy out."""

  def __init__(self, config, state):
    self._config = config
    nets = model_lib.build(config)
    use_gen = config.model.use_generator
    replicated = inference.Replicated(
        jax.device_get(
            {role: state.variables(role) for role in ("gen", "task")}
        )
    )

    def forward(p, x):
      if use_gen:
        _, x = nets.gen.apply(p["gen"], x, train=False)
      return nets.task.apply(p["task"], x, train=False)

    self._forward = replicated.jit(forward)

  def depth(self, images: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) in [-1, 1] -> (B, H, W) metres from the finest output."""
    out = self._forward(np.asarray(images, np.float32))
    return np.asarray(
        losses.decode_depth(out[-1][..., 0], self._config.data.max_depth)
    )

  def normals(self, images: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) faces in [0, 1] -> unit normals (B, H, W, 3)."""
    normal, _, _ = self._forward(np.asarray(images, np.float32))
    return normals_eval.decode(normal)


def predict(ctx, state, argv: list[str]) -> dict[str, str]:
  """`predict --image X.png --out DIR`: writes a colour-mapped depth PNG
  (inverse depth, near is bright) or, for faces, the normal map PNG."""
  parser = argparse.ArgumentParser(prog="predict (sharingan)")
  parser.add_argument("--image", required=True, help="input image file")
  parser.add_argument("--out", required=True, help="output directory")
  args = parser.parse_args(argv)
  if not os.path.exists(args.image):
    raise FileNotFoundError(f"--image {args.image!r} does not exist.")
  data_cfg = ctx.config.data
  with Image.open(args.image) as image:
    rgb = image.convert("RGB").resize(
        (data_cfg.width, data_cfg.height), Image.Resampling.BICUBIC
    )
  pixels = np.asarray(rgb, np.float32)
  predictor = Predictor(ctx.config, state)
  stem = os.path.splitext(os.path.basename(args.image))[0]
  os.makedirs(args.out, exist_ok=True)
  if ctx.config.task == "face_normals":
    normal = predictor.normals(pixels[None] / 255.0)[0]
    path = visualize.save_png(
        os.path.join(args.out, f"{stem}_normals.png"),
        visualize.to_uint8(normal, (-1, 1)),
    )
    return {"normals_png": path}
  depth = predictor.depth(pixels[None] / 127.5 - 1)[0]
  path = visualize.save_png(
      os.path.join(args.out, f"{stem}_depth.png"), visualize.depth_to_rgb(depth)
  )
  np.save(os.path.join(args.out, f"{stem}_depth.npy"), depth)
  return {
      "depth_png": path,
      "depth_min_m": float(depth.min()),
      "depth_max_m": float(depth.max()),
  }
