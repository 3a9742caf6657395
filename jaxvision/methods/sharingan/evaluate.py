"""SharinGAN evaluation on held-out real data (spec 7): prediction is T(G(x)).

`config.evals` maps a name to a dict with a `type`:
  procedural   smoke pair's real_val/real_test split (+ two trivial baselines
               from the synthetic training depth: the constant median and the
               per-pixel mean depth map).
  kitti        KITTI Eigen test/val list (Garg crop, 1 m min, cap 80/50 m).
  make3d       Make3D Test134 (centre crop, 0 < gt < 70 m).
  photoface    Photoface normals (MAE, Acc < 20/25/30 degrees).
Depth uses `jaxvision.evaluators.depth` (per-image metrics averaged over
images, no median scaling): the prediction is resized bilinearly to the GT
resolution, never the GT to the prediction (pitfall 17). Every result's
protocol (`Protocol.describe()`) is printed and written to
`<workdir>/eval_protocols.jsonl` next to the numbers.
"""

import json
import os

import numpy as np
from PIL import Image

from jaxvision.core import method as method_lib
from jaxvision.data import faces
from jaxvision.data import kitti
from jaxvision.evaluators import depth as depth_eval
from jaxvision.evaluators import normals as normals_eval
from jaxvision.methods.sharingan import data as data_lib
from jaxvision.methods.sharingan import predictor as predictor_lib
from jaxvision.methods.sharingan import procedural


def resize_depth(depth: np.ndarray, height: int, width: int) -> np.ndarray:
  """Bilinear (H, W) float resize to the ground-truth resolution."""
  return np.asarray(
      Image.fromarray(np.asarray(depth, np.float32)).resize(
          (width, height), Image.Resampling.BILINEAR
      )
  )


def _path(path: str) -> str:
  return os.path.expanduser(path)


def _protocol(cfg) -> depth_eval.Protocol:
  return depth_eval.Protocol(
      min_depth=cfg.min_depth,
      max_depth=cfg.max_depth,
      crop=cfg.get("crop", None),
      median_scaling=False,
  )


def _batches(n: int, size: int):
  for start in range(0, n, size):
    yield slice(start, min(start + size, n))


def procedural_street(ctx, predictor, cfg):
  """Smoke pair: AbsRel etc. on real_test, and the trivial baselines."""
  data_cfg = ctx.config.data
  args = (data_cfg.height, data_cfg.width, data_cfg.get("seed", 0))
  test = procedural.split(cfg.split, cfg.size, *args)
  syn_depth = procedural.split("syn_train", data_cfg.sizes.syn_train, *args)[
      "depth"
  ][..., 0]
  protocol = _protocol(cfg)
  model, median, mean_map = (depth_eval.Accumulator(protocol) for _ in range(3))
  for s in _batches(len(test["image"]), ctx.config.eval_batch_size):
    gts = test["depth"][s, ..., 0]
    model.add(predictor.depth(test["image"][s] * 2 - 1), gts)
    median.add([np.full_like(g, np.median(syn_depth)) for g in gts], gts)
    mean_map.add([syn_depth.mean(0)] * len(gts), gts)
  out = model.result()
  for prefix, acc in (
      ("median_baseline", median),
      ("mean_map_baseline", mean_map),
  ):
    out.update(
        {
            f"{prefix}/{k}": v
            for k, v in acc.result().items()
            if k in ("abs_rel", "a1")
        }
    )
  return out, protocol.describe()


def _to_network(image: np.ndarray, data_cfg) -> np.ndarray:
  resized = Image.fromarray(image).resize(
      (data_cfg.width, data_cfg.height), Image.Resampling.BICUBIC
  )
  return np.asarray(resized, np.float32) / 127.5 - 1


def kitti_eigen(ctx, predictor, cfg):
  """Eigen split: prediction at 192x640 -> bilinear to GT size, metric."""
  cache = cfg.get("cache_dir", None)
  source = kitti.KittiStereo(
      _path(cfg.root),
      _path(cfg.list_file),
      gt=cfg.gt,
      cache_dir=_path(cache) if cache else None,
  )
  protocol = _protocol(cfg)
  acc = depth_eval.Accumulator(protocol)
  for s in _batches(len(source), ctx.config.eval_batch_size):
    records = [source[i] for i in range(s.start, s.stop)]
    preds = predictor.depth(
        np.stack([_to_network(r["image"], ctx.config.data) for r in records])
    )
    acc.add(
        [resize_depth(p, *r["depth"].shape) for p, r in zip(preds, records)],
        [r["depth"] for r in records],
    )
  return acc.result(), protocol.describe()


# Make3D (Godard et al.): resize to 2000x1800 (HxW), centre crop 1024x1600.
MAKE3D_RESIZE = (2000, 1800)
MAKE3D_CROP = (1024, 1600)


def _make3d_crop(array: np.ndarray) -> np.ndarray:
  (h, w), (ch, cw) = MAKE3D_RESIZE, MAKE3D_CROP
  top, left = (h - ch) // 2, (w - cw) // 2
  return array[top : top + ch, left : left + cw]


def make3d(ctx, predictor, cfg):
  """Zero-shot Make3D Test134, cap 70 m, no median scaling (spec 7.2)."""
  source = kitti.Make3D(_path(cfg.root))
  protocol = _protocol(cfg)
  acc = depth_eval.Accumulator(protocol)
  h, w = MAKE3D_RESIZE
  for i in range(len(source)):
    record = source[i]
    image = np.asarray(
        Image.fromarray(record["image"]).resize(
            (w, h), Image.Resampling.BICUBIC
        )
    )
    gt = np.asarray(
        Image.fromarray(record["depth"]).resize(
            (w, h), Image.Resampling.NEAREST
        )
    )
    pred = predictor.depth(
        _to_network(_make3d_crop(image), ctx.config.data)[None]
    )[0]
    acc.add([resize_depth(pred, *MAKE3D_CROP)], [_make3d_crop(gt)])
  return acc.result(), protocol.describe()


def photoface(ctx, predictor, cfg):
  """Photoface normals: MAE and Acc < 20/25/30 deg over mask >= 0.9.

  `val_fraction=0.15` keeps the last 15% of the list: the validation split
  of the official train list (spec 5.2, `faces.validation_ids`).
  """
  list_file = cfg.get("list_file", None)
  source = faces.Photoface(
      _path(cfg.root), _path(list_file) if list_file else None
  )
  if cfg.get("val_fraction", None):
    source.ids = faces.validation_ids(source.ids, cfg.val_fraction)
  protocol = normals_eval.Protocol(
      mae_reduction=cfg.get("mae_reduction", "global")
  )
  acc = normals_eval.Accumulator(protocol)
  size = ctx.config.data.height
  for s in _batches(len(source), ctx.config.eval_batch_size):
    records = [source[i] for i in range(s.start, s.stop)]
    images = np.stack([data_lib.face_image(r["image"], size) for r in records])
    preds = predictor.normals(images)
    gts = [normals_eval.decode(r["normal"]) for r in records]
    for pred, gt, r in zip(preds, gts, records):
      pred = np.stack(
          [resize_depth(pred[..., c], *gt.shape[:2]) for c in range(3)], -1
      )
      acc.add(pred[None], gt[None], r["mask"][None])
  return acc.result(), protocol.describe()


EVALUATORS = {
    "procedural": procedural_street,
    "kitti": kitti_eigen,
    "make3d": make3d,
    "photoface": photoface,
}


def evaluate(
    ctx: method_lib.StageContext, state, split: str = "test"
) -> dict[str, float]:
  """Runs every configured evaluation; names results `<eval>/<metric>`.

  `split="test"` runs `config.evals`, `split="validation"` (model selection,
  `select_best`) `config.val_evals`. A stage with `evaluate=False` (the smoke
  config's pre-training stages) returns no metrics, saving the evaluation's
  compile and data pass.
  """
  if not ctx.stage.get("evaluate", True):
    return {}
  evals = {"test": "evals", "validation": "val_evals"}.get(split)
  if evals is None or not ctx.config.get(evals, None):
    raise ValueError(
        f"SharinGAN evaluates split 'test' (config.evals) or "
        f"'validation' (config.val_evals); got {split!r} with "
        f"config.{evals} empty or missing."
    )
  predictor = predictor_lib.Predictor(ctx.config, state)
  results, protocols = {}, {}
  for name, cfg in ctx.config[evals].items():
    if cfg.type not in EVALUATORS:
      raise ValueError(
          f"evals.{name}.type={cfg.type!r}; valid: " f"{sorted(EVALUATORS)}."
      )
    metrics, protocols[name] = EVALUATORS[cfg.type](ctx, predictor, cfg)
    results.update({f"{name}/{k}": v for k, v in metrics.items()})
    print(f"eval {name}: protocol {protocols[name]}", flush=True)
  if ctx.workdir:
    os.makedirs(ctx.workdir, exist_ok=True)
    with open(os.path.join(ctx.workdir, "eval_protocols.jsonl"), "a") as f:
      f.write(
          json.dumps(
              {
                  "stage": ctx.stage.name,
                  "split": split,
                  "protocols": protocols,
                  "results": results,
              }
          )
          + "\n"
      )
  return results
