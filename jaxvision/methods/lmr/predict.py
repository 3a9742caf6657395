"""`predict`: meshes from a clip of precomputed features, plus PNG renders.

  python -m jaxvision.main predict --config configs/lmr/smoke.py \
      --workdir workdirs/lmr_smoke --features clip.npz --out out/ [--frames 4]

`clip.npz` holds `features` [T, F] (F = data.feature_dim). Clips longer than
`data.seq_len` are cut into windows (the tail padded by repeating the last
frame). Writes `out/mesh.npz` (verts [T, V, 3], joints [T, 14, 3], rotmat,
betas, cam, faces) and `out/frame_XXXX.png` headless renders.
"""

import argparse
import os

import numpy as np

from jaxvision import render
from jaxvision.data import human_mesh
from jaxvision.methods.lmr import data
from jaxvision.methods.lmr import evaluate


def _parse(argv):
  parser = argparse.ArgumentParser(prog="predict (lmr)")
  parser.add_argument(
      "--features", required=True, help=".npz with 'features' [T, F]"
  )
  parser.add_argument("--out", required=True, help="output directory")
  parser.add_argument(
      "--frames", type=int, default=4, help="how many frames to render as PNG"
  )
  parser.add_argument("--size", type=int, default=256, help="PNG size")
  return parser.parse_args(argv)


def predict(ctx, state, argv) -> dict:
  args = _parse(argv)
  config = ctx.config
  if not os.path.isfile(args.features):
    raise FileNotFoundError(f"--features {args.features!r} does not exist.")
  with np.load(args.features) as f:
    if "features" not in f.files:
      raise ValueError(f"{args.features} has no 'features' array.")
    features = np.asarray(f["features"], np.float32)
  if features.ndim != 2 or features.shape[1] != config.data.feature_dim:
    raise ValueError(
        f"features must be [T, {config.data.feature_dim}], got "
        f"{features.shape}."
    )
  length, seq_len = len(features), config.data.seq_len
  starts = human_mesh.window_starts(length, seq_len, seq_len, "pad")
  index = np.minimum(np.array(starts)[:, None] + np.arange(seq_len), length - 1)
  out = evaluate.predict_params(config, state.params["model"], features[index])
  out = {k: v.reshape((-1,) + v.shape[2:])[:length] for k, v in out.items()}
  faces = data.assets(config)[0].faces
  os.makedirs(args.out, exist_ok=True)
  np.savez(os.path.join(args.out, "mesh.npz"), faces=faces, **out)
  pngs = [
      render.save_mesh_png(
          os.path.join(args.out, f"frame_{t:04d}.png"),
          out["verts"][t],
          faces,
          size=args.size,
      )
      for t in np.linspace(0, length - 1, min(args.frames, length)).astype(int)
  ]
  return {
      "mesh": os.path.join(args.out, "mesh.npz"),
      "renders": pngs,
      "frames": length,
  }
