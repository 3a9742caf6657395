"""`synthetic_fights`: procedural violent / non-violent clips (spec 11).

Each clip shows two discs ("agents", radius 3-4 px, random colours) on a
random low-frequency colour field with N(0, 0.02^2) per-frame noise.

  label 0 (non-violent): both agents walk in straight lines at U[0.3, 0.8]
    px/frame, reflecting off the borders, always >= 9 px apart.
  label 1 (violent): the agents start >= 14 px apart, run towards each other
    at U[1.5, 2.5] px/frame and, once within 7 px, jitter around their
    midpoint (N(0, 1.5^2) px per frame) with a +-0.1 brightness flicker.

`synthetic_fights_reversal` (the ablation sanity check): label 1 = the
violent clips, label 0 = the same clips played backwards. Both classes hold
the same multiset of frames, so the Spatial Encoder (a max over per-frame
features) is at chance by construction while signed frame differences are
not.

Clips are rendered with `num_frames + 4` frames and sampled to `num_frames`
evenly spaced ones, like the real data (20 of 24 in the spec). Frames are
uint8 (T, H, W, 3), stored like decoded video. Generation is deterministic in
the seed and cached in memory.
"""

import functools

import numpy as np

from jaxvision.data import video_datasets

NAMES = ("synthetic_fights", "synthetic_fights_reversal")
_MIN_CALM_DISTANCE = 9.0
_MIN_START_DISTANCE = 14.0
_SCUFFLE_DISTANCE = 7.0


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
  """A smooth random colour field: a 3x3 grid of colours, bilinearly blown up."""
  grid = rng.uniform(0.15, 0.6, (3, 3, 3))
  pos = np.linspace(0, 2, size)
  i0 = np.minimum(pos.astype(int), 1)
  w = (pos - i0)[:, None]
  rows = grid[i0] * (1 - w[..., None]) + grid[i0 + 1] * w[..., None]
  return rows[:, i0] * (1 - w[None]) + rows[:, i0 + 1] * w[None]


def _calm_paths(rng, size, steps, radius) -> np.ndarray | None:
  """(steps, 2, 2) straight reflecting walks, or None if they come too close."""
  low, high = radius.max(), size - 1 - radius.max()
  pos = rng.uniform(low, high, (2, 2))
  angle = rng.uniform(0, 2 * np.pi, 2)
  vel = rng.uniform(0.3, 0.8, (2, 1)) * np.stack(
      [np.sin(angle), np.cos(angle)], -1
  )
  paths = []
  for _ in range(steps):
    paths.append(pos.copy())
    pos = pos + vel
    for axis in range(2):
      out = (pos[:, axis] < low) | (pos[:, axis] > high)
      vel[out, axis] *= -1
      pos[:, axis] = np.clip(pos[:, axis], low, high)
  paths = np.stack(paths)
  if np.linalg.norm(paths[:, 0] - paths[:, 1], axis=-1).min() < (
      _MIN_CALM_DISTANCE
  ):
    return None
  return paths


def _fight_paths(rng, size, steps, radius):
  """(steps, 2, 2) approach-then-scuffle paths and (steps,) flicker, or None."""
  low, high = radius.max(), size - 1 - radius.max()
  pos = rng.uniform(low, high, (2, 2))
  if np.linalg.norm(pos[0] - pos[1]) < _MIN_START_DISTANCE:
    return None
  speed = rng.uniform(1.5, 2.5)
  paths, flicker = [], []
  scuffle = False
  for _ in range(steps):
    gap = pos[1] - pos[0]
    dist = np.linalg.norm(gap)
    scuffle = scuffle or dist < _SCUFFLE_DISTANCE
    if scuffle:
      mid = pos.mean(0)
      pos = np.clip(mid + rng.normal(0, 1.5, (2, 2)), low, high)
      flicker.append(rng.uniform(-0.1, 0.1))
    else:
      step = gap / dist * min(speed, dist / 2)
      pos = pos + np.stack([step, -step])
      flicker.append(0.0)
    paths.append(pos.copy())
  return np.stack(paths), np.asarray(flicker)


def _render(rng, size, paths, radius, flicker) -> np.ndarray:
  """uint8 (T, size, size, 3) frames of two discs on a noisy background."""
  background = _background(rng, size)
  colours = rng.uniform(0.5, 1.0, (2, 3))
  yy, xx = np.mgrid[:size, :size]
  frames = []
  for t, pos in enumerate(paths):
    frame = background.copy()
    for agent in range(2):
      disc = (yy - pos[agent, 0]) ** 2 + (xx - pos[agent, 1]) ** 2 <= radius[
          agent
      ] ** 2
      frame[disc] = colours[agent] + flicker[t]
    frame = frame + rng.normal(0, 0.02, frame.shape)
    frames.append(frame)
  return np.round(np.clip(np.stack(frames), 0, 1) * 255).astype(np.uint8)


def _clip(rng, size, num_frames, violent: bool) -> np.ndarray:
  steps = num_frames + 4
  radius = rng.uniform(3, 4, 2)
  while True:
    if violent:
      result = _fight_paths(rng, size, steps, radius)
      if result is not None:
        paths, flicker = result
        break
    else:
      paths = _calm_paths(rng, size, steps, radius)
      if paths is not None:
        flicker = np.zeros(steps)
        break
  frames = _render(rng, size, paths, radius, flicker)
  return frames[video_datasets.sample_indices(steps, num_frames)]


@functools.lru_cache(maxsize=4)
def generate(
    name: str, num_clips: int, num_frames: int, size: int, seed: int
) -> dict[str, np.ndarray]:
  """{"frames": uint8 (N, T, size, size, 3), "label": int32 (N,)}, balanced.

  Labels alternate 0, 1, 0, 1, ... so any contiguous subset is balanced.
  """
  if name not in NAMES:
    raise ValueError(
        f"Unknown synthetic dataset {name!r}; choose one of " f"{list(NAMES)}."
    )
  if num_clips < 2 or num_clips % 2:
    raise ValueError(
        f"num_clips must be an even number >= 2, got " f"{num_clips}."
    )
  if size < 24:
    raise ValueError(f"synthetic clips need size >= 24 px, got {size}.")
  rng = np.random.default_rng(seed)
  labels = np.tile(np.int32([0, 1]), num_clips // 2)
  if name == "synthetic_fights":
    frames = [_clip(rng, size, num_frames, bool(y)) for y in labels]
  else:
    fights = [_clip(rng, size, num_frames, True) for _ in range(num_clips // 2)]
    frames = [f for clip in fights for f in (clip[::-1], clip)]
  out = {"frames": np.stack(frames), "label": labels}
  for array in out.values():
    array.setflags(write=False)
  return out
