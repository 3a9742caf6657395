"""MonoIndoor++ inputs: frame triplets, augmentation, eval sets.

A training example is `{"frames": uint8[3, H, W, 3]` (offsets -1, 0, +1),
`"K": float32[3, 3]}` (pixels at the stored resolution). The pp function
draws, per sample and in this order (spec 6): a horizontal flip of all
frames (cx' = W - 1 - cx), then one set of colour-jitter parameters shared by
all frames (spec pitfall 11). It returns the un-augmented frames for the loss
and `frames_aug` for the networks, both float32 in [0, 1].

`config.data.kind` selects the source: "synthetic_room" (the smoke task,
rendered in memory) or a real dataset read from local files by
`jaxvision.data.indoor_depth`.
"""

import functools

import numpy as np

from jaxvision.data import indoor_depth
from jaxvision.data import pipeline
from jaxvision.data import registry
from jaxvision.data import sources
from jaxvision.methods.monoindoor import room


@functools.lru_cache(maxsize=4)
def synthetic_split(
    seed: int,
    count: int,
    frames: int,
    height: int,
    width: int,
    focal: float,
    motion: tuple[tuple[str, float], ...] = (),
) -> dict[str, np.ndarray]:
  """`count` rendered sequences (seeds seed..seed+count-1), stacked.

  `motion` holds `room.Motion` overrides as sorted (name, value) pairs.
  """
  camera = room.Camera(height, width, focal)
  cam_motion = room.Motion(**dict(motion))
  seqs = [
      room.sequence(seed + i, frames, camera, cam_motion) for i in range(count)
  ]
  return {key: np.stack([s[key] for s in seqs]) for key in seqs[0]}


def _synthetic(data_cfg, split: str) -> dict[str, np.ndarray]:
  cfg = data_cfg.synthetic
  seed = cfg.train_seed if split == "train" else cfg.test_seed
  count = cfg.train_sequences if split == "train" else cfg.test_sequences
  motion = cfg.get("motion", None)
  motion = tuple(sorted(motion.to_dict().items())) if motion else ()
  return synthetic_split(
      seed, count, cfg.frames, cfg.height, cfg.width, cfg.focal, motion
  )


def relative_poses(cam_to_world: np.ndarray) -> np.ndarray:
  """T_{t->t+1} [N-1, 4, 4] mapping camera-t points into camera t+1."""
  return np.linalg.inv(cam_to_world[1:]) @ cam_to_world[:-1]


def synthetic_triplets(data_cfg, split: str) -> dict[str, np.ndarray]:
  """Every (t-1, t, t+1) triplet: uint8 frames, K, depth of t, GT pose."""
  seqs = _synthetic(data_cfg, split)
  images = np.round(seqs["images"] * 255).astype(np.uint8)
  frames, depth, poses = [], [], []
  for i in range(len(images)):
    rel = relative_poses(seqs["poses"][i].astype(np.float64))
    for t in range(1, images.shape[1] - 1):
      frames.append(images[i, t - 1 : t + 2])
      depth.append(seqs["depth"][i, t])
      poses.append(rel[t])
  k = np.broadcast_to(seqs["K"][0], (len(frames), 3, 3))
  return {
      "frames": np.stack(frames),
      "K": np.array(k, np.float32),
      "depth": np.stack(depth),
      "pose_next": np.stack(poses).astype(np.float32),
  }


def _synthetic_source(data_cfg):
  arrays = synthetic_triplets(data_cfg, "train")
  return sources.ArraySource({"frames": arrays["frames"], "K": arrays["K"]})


def _real(sequences_fn):
  """A builder of the triplets of `sequences_fn(data_cfg)`'s sequences."""

  def build(data_cfg):
    return indoor_depth.TripletSource(
        sequences_fn(data_cfg),
        tuple(data_cfg.image_size)[::-1],
        data_cfg.stride,
    )

  return build


# data.kind -> fn(data_cfg) -> the training triplets.
KINDS = {
    "synthetic_room": _synthetic_source,
    "euroc": _real(
        lambda d: [
            indoor_depth.euroc_sequence(indoor_depth.join(d.root, n))
            for n in d.train_sequences
        ]
    ),
    "nyu_raw": _real(
        lambda d: indoor_depth.nyu_raw_sequences(d.root, d.split_file)
    ),
    "seven_scenes": _real(
        lambda d: indoor_depth.seven_scenes_sequences(d.root, d.scene, "train")
    ),
    "scannet": _real(
        lambda d: indoor_depth.scannet_sequences(d.root, d.split_file)
    ),
}


def _train_source(config):
  build = registry.lookup(KINDS, config.data.kind, "config.data.kind")
  return build(config.data)


def colour_jitter(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """Brightness, contrast, saturation in [0.8, 1.2] and hue in [-0.1, 0.1].

  One parameter draw for all frames. Hue is a rotation of the chroma plane
  in YIQ (a linear stand-in for torchvision's HSV hue shift).
  """
  b, c, s = rng.uniform(0.8, 1.2, 3)
  hue = rng.uniform(-0.1, 0.1) * 2 * np.pi
  x = frames * b
  gray = x @ np.array([0.299, 0.587, 0.114], np.float32)
  x = (
      gray.mean(axis=(1, 2), keepdims=True)[..., None]
      + (x - gray.mean(axis=(1, 2), keepdims=True)[..., None]) * c
  )
  gray = (x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
  x = gray + (x - gray) * s
  to_yiq = np.array(
      [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]],
      np.float32,
  )
  rot = np.array(
      [
          [1, 0, 0],
          [0, np.cos(hue), -np.sin(hue)],
          [0, np.sin(hue), np.cos(hue)],
      ],
      np.float32,
  )
  x = x @ (np.linalg.inv(to_yiq) @ rot @ to_yiq).T.astype(np.float32)
  return np.clip(x, 0.0, 1.0).astype(np.float32)


def augment(
    example: dict,
    rng: np.random.Generator,
    flip: bool = True,
    jitter: bool = True,
) -> dict:
  """Flip (p=0.5, adjusts cx), then colour jitter (p=0.5) for the nets."""
  frames = example["frames"].astype(np.float32) / 255.0
  k = np.array(example["K"], np.float32)
  if flip and rng.random() < 0.5:
    frames = frames[:, :, ::-1]
    k[0, 2] = frames.shape[2] - 1 - k[0, 2]
  frames = np.ascontiguousarray(frames)
  aug = frames
  if jitter and rng.random() < 0.5:
    aug = colour_jitter(frames, rng)
  return {"frames": frames, "frames_aug": aug, "K": k}


def make_train_data(ctx, seed: int):
  data_cfg = ctx.config.data
  pp_fn = functools.partial(augment, flip=data_cfg.flip, jitter=data_cfg.jitter)
  return pipeline.host_iterator(
      _train_source(ctx.config),
      data_cfg,
      pp_fn=pp_fn,
      global_batch_size=ctx.stage.batch_size,
      seed=seed,
  )
