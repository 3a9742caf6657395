"""`predict` for AKD-GAN: translate images, draw attention, export a teacher.

  python -m jaxvision.main predict --config CFG --workdir W \
      --image face.png --out OUT_DIR        # one row per attribute + maps
  python -m jaxvision.main predict --config CFG --workdir W \
      --export_teacher W/teacher.npz        # this run's G/D as a teacher

Translation uses the eval protocol's targets (attribute k flipped, hair
colours exclusive) against the image's labels given by `--attrs` (0/1, one
per data.attrs; default all 0).
"""

import argparse
import os

import jax
import numpy as np
from PIL import Image

from jaxvision import visualize
from jaxvision.methods.akd import attention
from jaxvision.methods.akd import data
from jaxvision.methods.akd import model as model_lib
from jaxvision.methods.akd import teacher as teacher_lib


def _parse(argv):
  parser = argparse.ArgumentParser(prog="predict (akd)")
  parser.add_argument("--image", help="an RGB image file to translate")
  parser.add_argument(
      "--attrs", default="", help="comma-separated 0/1 labels of the image"
  )
  parser.add_argument("--out", default="", help="output folder for PNGs")
  parser.add_argument(
      "--export_teacher", default="", help="write gen/disc params to this .npz"
  )
  args = parser.parse_args(argv)
  if not args.image and not args.export_teacher:
    parser.error("give --image (with --out) and/or --export_teacher")
  return args


def _load_image(path: str, size: int) -> np.ndarray:
  if not os.path.isfile(path):
    raise FileNotFoundError(f"--image {path!r} does not exist.")
  with Image.open(path) as image:
    image = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
  return np.asarray(image, np.float32)[None] / 127.5 - 1.0


def predict(ctx, state, argv):
  args = _parse(argv)
  config = ctx.config
  params = jax.device_get(state.params)
  results = {}
  if args.export_teacher:
    results["teacher"] = teacher_lib.export(params, args.export_teacher)
  if args.image:
    attrs = list(config.data.attrs)
    labels = (
        [float(v) for v in args.attrs.split(",")]
        if args.attrs
        else ([0.0] * len(attrs))
    )
    if len(labels) != len(attrs):
      raise ValueError(
          f"--attrs needs {len(attrs)} values for {attrs}, got "
          f"{len(labels)}."
      )
    x = _load_image(args.image, config.data.image_size)
    c_org = np.asarray([labels], np.float32)
    gen, disc = model_lib.build(
        config.model, config.data.image_size, len(attrs)
    )
    tiles, maps = [visualize.to_uint8(x[0], (-1, 1))], []
    for k in range(len(attrs)):
      c = (
          data.onehot_targets(1, len(attrs), k)
          if config.data.label_type == "single"
          else data.flip_targets(c_org, attrs, k, config.eval.protocol)
      )
      fake = gen.apply({"params": params["gen"]}, x, c)
      tiles.append(visualize.to_uint8(np.asarray(fake[0]), (-1, 1)))
      a = attention.attention_maps(
          gen,
          disc,
          params["gen"],
          params["disc"],
          x,
          c,
          config.akd.student_block,
      )
      maps.append(
          visualize.colorize(
              np.asarray(attention.minmax(attention.upsample(a, x.shape[1])))[
                  0, k
              ],
              vmin=0.0,
              vmax=1.0,
          )
      )
    out = args.out or os.path.join(ctx.workdir, "predict")
    results["translations"] = visualize.save_png(
        os.path.join(out, "translations.png"), visualize.grid(tiles, len(tiles))
    )
    results["attention"] = visualize.save_png(
        os.path.join(out, "attention.png"), visualize.grid(maps, len(maps))
    )
  return results
