"""Procedural "stick-player" clips for the CPU smoke task (spec: CPU smoke).

A binary player+ball mask per frame on a 64x64 canvas: torso (hip to
shoulders, 10 px), head disc, a static left leg, a moving right leg with a
foot disc, and the ball. The whole player follows a random-walk camera
translation (sigma 4 px/frame, clamped to +-14 px), so without registration
the energy image smears. Keypoints (the `keypoints.JOINTS` layout) carry
Gaussian noise (0.5 px) and in 15% of frames both hips (and the mid-hip) are
missing, which exercises the shoulder fall-back.

Classes (random phase each):
  0 ball left->right: the ball rolls from hip-9 px to hip+9 px, foot still.
  1 ball right->left: the reverse. Identical energy images to class 0; only
    the temporal order differs, so only the motion branch can separate them.
  2 foot circle: the foot traces a 5 px circle.
  3 vertical kick: the foot rises by 6 |sin theta| px.
"""

import numpy as np

from jaxvision.methods.emfa import keypoints as kp_lib

CLASS_NAMES = (
    "ball_left_to_right",
    "ball_right_to_left",
    "foot_circle",
    "vertical_kick",
)


def _capsule(grid, a, b, radius):
  """Pixels within `radius` of the segment a-b."""
  ys, xs = grid
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  d = b - a
  t = np.clip(
      ((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / max(d @ d, 1e-9), 0, 1
  )
  return (xs - a[0] - t * d[0]) ** 2 + (ys - a[1] - t * d[1]) ** 2 <= radius**2


def _disc(grid, c, radius):
  ys, xs = grid
  return (xs - c[0]) ** 2 + (ys - c[1]) ** 2 <= radius**2


def _pose(label: int, t: float, phase: float):
  """Foot and ball offsets from the hip at clip time t in [0, 1]."""
  foot, ball = np.array([3.0, 12.0]), np.array([7.0, 13.0])
  if label in (0, 1):
    x = -9.0 + 18.0 * t + phase
    ball = np.array([x if label == 0 else -x, 13.0])
  elif label == 2:
    theta = phase + 2 * np.pi * t
    foot = foot + 5.0 * np.array([np.cos(theta), np.sin(theta)])
  else:
    foot = foot - np.array([0.0, 6.0 * abs(np.sin(phase + 2 * np.pi * t))])
  return foot, ball


def clip(
    label: int, rng: np.random.Generator, size: int = 64, frames: int = 12
) -> dict[str, np.ndarray]:
  """One clip: masks (n, S, S) float32, joints (n, 8, 3), boxes (n, 4)."""
  grid = np.mgrid[0:size, 0:size].astype(np.float64)
  phase = rng.uniform(-1, 1) if label in (0, 1) else rng.uniform(0, 2 * np.pi)
  cam = np.zeros(2)
  masks = np.zeros((frames, size, size), np.float32)
  joints = np.zeros((frames, len(kp_lib.JOINTS), 3), np.float32)
  boxes = np.zeros((frames, 4), np.float32)
  for j in range(frames):
    cam = np.clip(cam + rng.normal(0, 4.0, 2), -14, 14)
    hip = np.array([size / 2, size / 2 - 2]) + cam
    shoulder = hip - np.array([0.0, 10.0])
    foot, ball = _pose(label, j / (frames - 1), phase)
    foot, ball = hip + foot, hip + ball
    left_foot = hip + np.array([-3.0, 12.0])
    m = (
        _capsule(grid, hip, shoulder, 1.5)
        | _disc(grid, shoulder - [0, 4], 2.5)
        | _capsule(grid, hip, left_foot, 1.5)
        | _capsule(grid, hip, foot, 1.5)
        | _disc(grid, foot, 2.0)
        | _disc(grid, ball, 2.0)
    )
    masks[j] = m
    named = {
        "LHip": hip + [-2, 0],
        "RHip": hip + [2, 0],
        "MidHip": hip,
        "LShoulder": shoulder + [-3, 0],
        "RShoulder": shoulder + [3, 0],
        "Neck": shoulder,
        "LKnee": (hip + left_foot) / 2,
        "RKnee": (hip + foot) / 2,
    }
    for name, xy in named.items():
      joints[j, kp_lib.J[name]] = (*(xy + rng.normal(0, 0.5, 2)), 1.0)
    if rng.random() < 0.15:
      for name in ("LHip", "RHip", "MidHip"):
        joints[j, kp_lib.J[name]] = 0
    ys, xs = np.nonzero(m)
    boxes[j] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
  return {"masks": masks, "joints": joints, "boxes": boxes}


def dataset(
    per_class: int, seed: int, size: int = 64, frames: int = 12
) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
  """`per_class` clips of every class, interleaved, and their labels."""
  rng = np.random.default_rng(seed)
  labels = np.tile(np.arange(len(CLASS_NAMES)), per_class)
  return [clip(int(y), rng, size, frames) for y in labels], labels
