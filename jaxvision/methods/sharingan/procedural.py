"""`procedural_street`: ray-cast synthetic vs "real" stereo depth (spec 11).

Scenes are a ground plane, sky and 1-3 fronto-parallel boxes resting on the
ground, seen by a pinhole camera 1.6 m above the ground. Every pixel is ray
cast separately for the left (tx = 0) and right (tx = baseline) camera, and
textures live in world coordinates, so a stereo pair is exactly consistent.
The domain gap mirrors the chapter's delta / delta':

* syn (vKITTI-like): saturated colours, aliased edges, a 1-px dark outline on
  box silhouettes (a depth-related rendering artefact), fog constant 60 m.
* real (KITTI-like): desaturated, tinted palette, low-frequency
  multiplicative noise, anti-aliased (2x supersampled) and blurred edges, fog
  constant 45 m, gamma 0.8, per-view N(0, 0.02^2) noise.

Splits come from disjoint seeds: syn_train (image + depth), real_train
(left, right, fb; no depth), real_val / real_test (left + GT depth, only for
evaluation). The camera scales with the image width (f = 0.75 W).
"""

import dataclasses
import functools

import numpy as np

CAMERA_HEIGHT = 1.6
BASELINE = 0.5
SKY_DEPTH = 40.0
SPLIT_SEEDS = {"syn_train": 1, "real_train": 2, "real_val": 3, "real_test": 4}


@dataclasses.dataclass(frozen=True)
class Camera:
  height: int
  width: int

  @property
  def focal(self) -> float:
    return 0.75 * self.width

  @property
  def cx(self) -> float:
    return self.width / 2


def _scenes(rng: np.random.Generator, n: int, height: int) -> dict:
  """Random scene parameters (horizon row as a fraction of the height)."""
  k = 3
  return {
      "horizon": rng.uniform(10, 13.99, n).astype(int) / 32 * height,
      "num_boxes": rng.integers(1, 4, n),
      "z": rng.uniform(4, 25, (n, k)),
      "box_w": rng.uniform(1.5, 4, (n, k)),
      "box_h": rng.uniform(1.2, 3, (n, k)),
      "x": rng.uniform(-6, 6, (n, k)),
      "colour": rng.uniform(0, 1, (n, k, 3)),
      "ground": rng.uniform(0.25, 0.45, (n, 3)),
      "sky": rng.uniform(0.6, 0.9, (n, 3)),
  }


def _render(scenes: dict, cam: Camera, tx: float, scale: int):
  """Ray casts all scenes: (depth, box id (-1 none), world X, rows) maps."""
  n = len(scenes["horizon"])
  h, w = cam.height * scale, cam.width * scale
  v = (np.arange(h) + 0.5) / scale - 0.5
  u = (np.arange(w) + 0.5) / scale - 0.5
  vh = scenes["horizon"][:, None, None]
  below = v[None, :, None] - vh
  depth = np.where(
      below > 0,
      cam.focal * CAMERA_HEIGHT / np.maximum(below + 0.5, 1e-6),
      SKY_DEPTH,
  )
  depth = np.broadcast_to(np.clip(depth, 2, SKY_DEPTH), (n, h, w)).copy()
  box_id = np.full((n, h, w), -1)
  for k in range(3):
    z = scenes["z"][:, k, None, None]
    x_world = (u[None, None, :] - cam.cx) * z / cam.focal + tx
    x0 = scenes["x"][:, k, None, None] - scenes["box_w"][:, k, None, None] / 2
    inside_x = (x_world >= x0) & (
        x_world <= x0 + scenes["box_w"][:, k, None, None]
    )
    bottom = vh + cam.focal * CAMERA_HEIGHT / z
    top = (
        vh + cam.focal * (CAMERA_HEIGHT - scenes["box_h"][:, k, None, None]) / z
    )
    inside_v = (v[None, :, None] >= top) & (v[None, :, None] <= bottom)
    present = (k < scenes["num_boxes"])[:, None, None]
    hit = inside_x & inside_v & present & (z < depth)
    depth = np.where(hit, z, depth)
    box_id = np.where(hit, k, box_id)
  x_world = (u[None, None, :] - cam.cx) * depth / cam.focal + tx
  return (
      depth.astype(np.float32),
      box_id,
      x_world.astype(np.float32),
      v.astype(np.float32),
  )


def _shade(scenes, depth, box_id, x_world, rows, real: bool):
  """Albedo with world-space textures, then fog."""
  n, h, w = depth.shape
  colours = scenes["colour"].astype(np.float32)
  if real:
    grey = colours.mean(-1, keepdims=True)
    colours = (0.5 * colours + 0.5 * grey) * np.array([1.05, 1.0, 0.9])
  else:
    colours = colours / np.maximum(colours.max(-1, keepdims=True), 1e-6)
  flat = np.maximum(box_id, 0).reshape(n, h * w, 1)
  box_col = np.take_along_axis(colours, flat, axis=1).reshape(n, h, w, 3)
  box_col = box_col + 0.15 * np.sin(2 * np.pi * x_world / 0.7)[..., None]
  checker = (np.floor(x_world) + np.floor(depth / 2)) % 2
  ground = scenes["ground"][:, None, None] + 0.1 * (checker[..., None] - 0.5)
  sky_grad = 1.0 - 0.3 * rows[None, :, None, None] / rows.max()
  sky = scenes["sky"][:, None, None] * sky_grad
  is_sky = depth >= SKY_DEPTH
  albedo = np.where(
      box_id[..., None] >= 0, box_col, np.where(is_sky[..., None], sky, ground)
  )
  fog = np.exp(-depth / (45.0 if real else 60.0))[..., None]
  return np.clip(albedo * fog + 0.7 * (1 - fog), 0, 1)


def _box_downsample(x: np.ndarray, s: int) -> np.ndarray:
  n, h, w, c = x.shape
  return x.reshape(n, h // s, s, w // s, s, c).mean((2, 4))


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
  """Separable Gaussian blur of (N, H, W, C) with edge padding."""
  radius = int(np.ceil(3 * sigma))
  taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
  taps /= taps.sum()
  for axis in (1, 2):
    pad = [(0, 0)] * 4
    pad[axis] = (radius, radius)
    padded = np.pad(x, pad, mode="edge")
    size = x.shape[axis]
    x = sum(
        t * np.take(padded, np.arange(i, i + size), axis=axis)
        for i, t in enumerate(taps)
    )
  return x


def _view(
    scenes,
    cam: Camera,
    tx: float,
    real: bool,
    rng: np.random.Generator,
    lowfreq: np.ndarray | None,
):
  """One rendered view in [0, 1] and its depth at the base resolution."""
  depth, box_id, _, _ = _render(scenes, cam, tx, 1)
  if real:
    d2, b2, x2, r2 = _render(scenes, cam, tx, 2)
    image = _box_downsample(_shade(scenes, d2, b2, x2, r2, True), 2)
    image = _blur(image * lowfreq, 0.7) ** (1 / 0.8)
    image = image + rng.normal(0, 0.02, image.shape)
  else:
    _, _, x1, r1 = _render(scenes, cam, tx, 1)
    image = _shade(scenes, depth, box_id, x1, r1, False)
    edge = np.zeros_like(box_id, bool)
    edge[:, :, 1:] |= box_id[:, :, 1:] != box_id[:, :, :-1]
    edge[:, :, :-1] |= box_id[:, :, 1:] != box_id[:, :, :-1]
    edge[:, 1:] |= box_id[:, 1:] != box_id[:, :-1]
    edge[:, :-1] |= box_id[:, 1:] != box_id[:, :-1]
    image = np.where(edge[..., None], image * 0.3, image)
  return np.clip(image, 0, 1).astype(np.float32), depth.astype(np.float32)


def _lowfreq(rng: np.random.Generator, n: int, cam: Camera) -> np.ndarray:
  """Smooth multiplicative noise in [0.85, 1.15] (bilinear from a 4x8 grid)."""
  coarse = rng.uniform(0.85, 1.15, (n, 4, 8, 1))
  rows = np.linspace(0, 3, cam.height)
  cols = np.linspace(0, 7, cam.width)
  r0, c0 = np.minimum(rows.astype(int), 2), np.minimum(cols.astype(int), 6)
  fr, fc = (rows - r0)[None, :, None, None], (cols - c0)[None, None, :, None]
  top = coarse[:, r0][:, :, c0] * (1 - fc) + coarse[:, r0][:, :, c0 + 1] * fc
  bot = (
      coarse[:, r0 + 1][:, :, c0] * (1 - fc)
      + coarse[:, r0 + 1][:, :, c0 + 1] * fc
  )
  return top * (1 - fr) + bot * fr


@functools.lru_cache(maxsize=16)
def split(
    name: str, size: int, height: int = 32, width: int = 64, seed: int = 0
) -> dict[str, np.ndarray]:
  """A split as arrays: images in [0, 1] float32 (N, H, W, 3), depth in m.

  syn_train -> image, depth; real_train -> image, right, fb;
  real_val / real_test -> image, depth.
  """
  if name not in SPLIT_SEEDS:
    raise ValueError(
        f"Unknown procedural_street split {name!r}; valid: "
        f"{sorted(SPLIT_SEEDS)}."
    )
  if height % 16 or width % 16:
    raise ValueError(
        f"procedural_street needs H, W divisible by 16, got "
        f"{height}x{width}."
    )
  rng = np.random.default_rng((seed, SPLIT_SEEDS[name]))
  cam = Camera(height, width)
  scenes = _scenes(rng, size, height)
  real = name.startswith("real")
  lowfreq = _lowfreq(rng, size, cam) if real else None
  image, depth = _view(scenes, cam, 0.0, real, rng, lowfreq)
  if name == "real_train":
    right, _ = _view(scenes, cam, BASELINE, real, rng, lowfreq)
    fb = np.full((size,), cam.focal * BASELINE, np.float32)
    return {"image": image, "right": right, "fb": fb}
  return {"image": image, "depth": depth[..., None]}


def stereo_pair(real: bool, height: int = 32, width: int = 64, seed: int = 0):
  """(left, right, left depth, fb) of one scene, for warp checks."""
  rng = np.random.default_rng((seed, 99))
  cam = Camera(height, width)
  scenes = _scenes(rng, 1, height)
  lowfreq = _lowfreq(rng, 1, cam) if real else None
  left, depth = _view(scenes, cam, 0.0, real, rng, lowfreq)
  right, _ = _view(scenes, cam, BASELINE, real, rng, lowfreq)
  return left, right, depth[..., None], np.float32(cam.focal * BASELINE)
