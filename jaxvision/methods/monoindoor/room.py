"""Synthetic textured-room sequences for the smoke task (spec 12).

A NumPy ray-caster: an axis-aligned box room (sides ~ U[2.5, 7] m, so the
depth range varies across sequences) with two furniture boxes on the floor,
hit analytically with slab intersection. Every face carries a procedural
texture (base colour + 3-octave value noise with 1.2 / 0.6 / 0.3 m cells +
a 0.2-amplitude checker of 0.3 m cells), unlit, so brightness constancy
holds exactly. A camera moves ~6 cm per frame along a smooth random path
with ~2 deg rotation noise (5 deg/frame yaw segments in 30% of sequences).
`Motion` holds these parameters; its smoke-recipe options walk the camera
along its viewing direction and turn it at a constant yaw rate. Frames are
rendered with 2x2 supersampling; depth is z-depth (spec pitfall 5); poses
are camera-to-world in the OpenCV camera convention (x right, y down, z
forward).

World axes: x, y horizontal, z up. Deterministic given the seed.
"""

import dataclasses

import numpy as np

_NOISE_GRID = 32
_NOISE_CELL = 1.2  # metres per noise-grid cell of the coarsest octave


@dataclasses.dataclass(frozen=True)
class Camera:
  height: int = 32
  width: int = 64
  focal: float = 40.0

  @property
  def intrinsics(self) -> np.ndarray:
    return np.array(
        [
            [self.focal, 0, (self.width - 1) / 2],
            [0, self.focal, (self.height - 1) / 2],
            [0, 0, 1],
        ],
        np.float32,
    )


@dataclasses.dataclass(frozen=True)
class Motion:
  """Per-frame camera motion of `_trajectory` (spec 12 defaults)."""

  step: float = 0.06  # metres per frame along the smooth path
  step_noise: float = 0.01  # std (m) of the per-axis translation noise
  rot_noise_deg: float = 2.0  # std of the yaw/pitch/roll increments
  spin_prob: float = 0.3  # fraction of sequences with a yaw segment
  spin_deg: float = 5.0  # yaw per frame during that segment
  # Smoke-recipe options (off by default): walk along the camera's viewing
  # direction instead of a random direction, and turn at a constant yaw rate
  # of U[0.5, 1] * yaw_rate_deg per frame (with a random sign per sequence
  # if random_yaw_sign).
  forward: bool = False
  yaw_rate_deg: float = 0.0
  random_yaw_sign: bool = True


def _boxes(rng: np.random.Generator):
  """Room (lo, hi) and two furniture boxes on the floor against walls."""
  size = rng.uniform(2.5, 7.0, 3)
  room = (np.zeros(3), size)
  furniture = []
  for _ in range(2):
    extent = np.array(
        [rng.uniform(0.4, 1.2), rng.uniform(0.4, 1.2), rng.uniform(0.4, 0.9)]
    )
    lo = np.zeros(3)
    for axis in range(2):
      lo[axis] = 0.0 if rng.random() < 0.5 else size[axis] - extent[axis]
    furniture.append((lo, lo + extent))
  return room, furniture


def _textures(rng: np.random.Generator, count: int):
  base = rng.uniform(0.15, 0.75, (count, 3)).astype(np.float32)
  noise = rng.uniform(-1, 1, (count, 3, _NOISE_GRID, _NOISE_GRID, 3)).astype(
      np.float32
  )
  return base, noise


def _value_noise(grid: np.ndarray, a: np.ndarray, b: np.ndarray):
  """Bilinear lookup of a periodic [G, G, 3] grid at float coords."""
  a0, b0 = np.floor(a).astype(int), np.floor(b).astype(int)
  fa, fb = (a - a0)[:, None], (b - b0)[:, None]
  g = _NOISE_GRID
  at = lambda i, j: grid[i % g, j % g]
  return (at(a0, b0) * (1 - fb) + at(a0, b0 + 1) * fb) * (1 - fa) + (
      at(a0 + 1, b0) * (1 - fb) + at(a0 + 1, b0 + 1) * fb
  ) * fa


def _shade(
    face: np.ndarray,
    points: np.ndarray,
    normal_axis: np.ndarray,
    base: np.ndarray,
    noise: np.ndarray,
) -> np.ndarray:
  """Texture colour of hit points [N, 3] on faces `face` [N]."""
  colours = np.empty_like(points)
  for f in np.unique(face):
    sel = face == f
    axes = [a for a in range(3) if a != normal_axis[sel][0]]
    a, b = points[sel, axes[0]], points[sel, axes[1]]
    colour = np.repeat(base[f][None], sel.sum(), axis=0)
    for octave in range(3):
      # NOTE: the finest noise cell (0.3 m) spans ~6 px at 2 m: finer
      # texture aliases at 32x64 and leaves the photometric loss too rough
      # for the networks to find the 1-3 px inter-frame motion.
      cell = _NOISE_CELL / 2**octave
      colour += (0.3 / 2**octave) * _value_noise(
          noise[f, octave], a / cell, b / cell
      )
    checker = (np.floor(a / 0.3) + np.floor(b / 0.3)) % 2
    colours[sel] = colour + 0.2 * (checker[:, None] - 0.5)
  return np.clip(colours, 0.0, 1.0)


def _cast(origin, dirs, room, furniture):
  """Nearest hit t (dirs unnormalised), face id and normal axis per ray."""
  inv = 1.0 / np.where(np.abs(dirs) < 1e-12, 1e-12, dirs)
  t1 = (room[0] - origin) * inv
  t2 = (room[1] - origin) * inv
  t_exit = np.maximum(t1, t2)
  best_t = t_exit.min(1)
  axis = t_exit.argmin(1)
  # Faces 0..5: room walls (axis, low/high side).
  face = axis * 2 + (dirs[np.arange(len(dirs)), axis] > 0)
  for k, (lo, hi) in enumerate(furniture):
    t1, t2 = (lo - origin) * inv, (hi - origin) * inv
    t_near = np.minimum(t1, t2)
    t_enter = t_near.max(1)
    hit = (t_enter <= np.maximum(t1, t2).min(1)) & (t_enter > 1e-6)
    closer = hit & (t_enter < best_t)
    best_t = np.where(closer, t_enter, best_t)
    near_axis = t_near.argmax(1)
    axis = np.where(closer, near_axis, axis)
    face = np.where(
        closer,
        6 + 6 * k + near_axis * 2 + (dirs[np.arange(len(dirs)), near_axis] < 0),
        face,
    )
  return best_t, face, axis


def _rotation(yaw, pitch, roll) -> np.ndarray:
  """Camera-to-world rotation; camera z looks along world x at zero angles."""
  c, s = np.cos, np.sin
  rz = np.array([[c(yaw), -s(yaw), 0], [s(yaw), c(yaw), 0], [0, 0, 1]])
  ry = np.array([[c(pitch), 0, s(pitch)], [0, 1, 0], [-s(pitch), 0, c(pitch)]])
  rx = np.array([[1, 0, 0], [0, c(roll), -s(roll)], [0, s(roll), c(roll)]])
  base = np.array([[0, 0, 1], [-1, 0, 0], [0, -1, 0]], float)
  return rz @ ry @ rx @ base


def _trajectory(rng, room, furniture, frames: int, motion: Motion):
  """Camera-to-world poses [N, 4, 4] kept >= 0.6 m from every surface."""
  size = room[1]
  top = max(f[1][2] for f in furniture)
  lo = np.array([0.6, 0.6, min(top + 0.6, size[2] - 0.6)])
  hi = np.maximum(size - 0.6, lo)
  position = rng.uniform(lo, hi)
  direction = rng.normal(size=3) * np.array([1, 1, 0.2])
  angles = np.array([rng.uniform(0, 2 * np.pi), rng.normal(0, 0.05), 0.0])
  spin = rng.random() < motion.spin_prob
  spin_start = rng.integers(0, max(frames - 8, 1))
  yaw_rate = 0.0
  if motion.yaw_rate_deg:
    sign = rng.choice([-1.0, 1.0]) if motion.random_yaw_sign else 1.0
    yaw_rate = np.radians(motion.yaw_rate_deg * rng.uniform(0.5, 1.0) * sign)
  poses = []
  for i in range(frames):
    pose = np.eye(4)
    pose[:3, :3] = _rotation(*angles)
    pose[:3, 3] = position
    poses.append(pose)
    direction = direction / np.linalg.norm(direction) + rng.normal(0, 0.3, 3)
    direction[2] *= 0.2
    if motion.forward:
      direction = pose[:3, 2] * np.array([1.0, 1.0, 0.0])
    step = motion.step * direction / np.linalg.norm(direction)
    step += rng.normal(0, motion.step_noise, 3)
    nxt = position + step
    bounce = (nxt < lo) | (nxt > hi)
    step[bounce] *= -1
    direction[bounce] *= -1
    position = np.clip(position + step, lo, hi)
    angles = angles + np.radians(rng.normal(0, motion.rot_noise_deg, 3))
    angles[1:] = np.clip(angles[1:], -0.3, 0.3)
    angles[0] += yaw_rate
    if spin and spin_start <= i < spin_start + 8:
      angles[0] += np.radians(motion.spin_deg)
  return np.stack(poses)


def _rays(camera: Camera, poses: np.ndarray, du: float, dv: float):
  """Origins and world ray directions [N*H*W, 3]; unit camera z (t = z)."""
  v, u = np.mgrid[0 : camera.height, 0 : camera.width].astype(float)
  pix = np.stack([u.ravel() + du, v.ravel() + dv, np.ones(u.size)], 1)
  cam = pix @ np.linalg.inv(camera.intrinsics.astype(float)).T
  dirs = (cam[None] @ np.swapaxes(poses[:, :3, :3], 1, 2)).reshape(-1, 3)
  origins = np.repeat(poses[:, :3, 3], u.size, axis=0)
  return origins.astype(np.float32), dirs.astype(np.float32)


def sequence(
    seed: int,
    frames: int = 24,
    camera: Camera = Camera(),
    motion: Motion = Motion(),
) -> dict[str, np.ndarray]:
  """One rendered sequence: images [N,H,W,3] in [0,1], depth [N,H,W] (z),
  K [3,3] and camera-to-world poses [N,4,4]."""
  rng = np.random.default_rng(seed)
  room, furniture = _boxes(rng)
  base, noise = _textures(rng, 6 + 6 * len(furniture))
  poses = _trajectory(rng, room, furniture, frames, motion)
  shape = (frames, camera.height, camera.width)
  colour = 0.0
  for du, dv in ((-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)):
    origins, dirs = _rays(camera, poses, du, dv)
    t, face, axis = _cast(origins, dirs, room, furniture)
    colour = (
        colour
        + _shade(face, origins + t[:, None] * dirs, axis, base, noise) / 4
    )
  depth = _cast(*_rays(camera, poses, 0.0, 0.0), room, furniture)[0]
  return {
      "images": colour.reshape(shape + (3,)).astype(np.float32),
      "depth": depth.reshape(shape).astype(np.float32),
      "K": camera.intrinsics,
      "poses": poses.astype(np.float32),
  }
