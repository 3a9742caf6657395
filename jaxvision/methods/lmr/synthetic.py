"""Synthetic videos of the toy body with locally varying dynamics (spec 12).

Each body part moves with its own frequency and may be frozen for half of
the sequence, so different parts move at different times (what LMR's
per-part RNNs are for). Labels come from the SMPL forward pass of the toy
body; "features" stand in for a frozen backbone: a fixed random 2-layer MLP
of (rotation matrices, β, camera), plus noise and random 32-d "occlusion"
blocks, so temporal context helps. Sequences use the same keys as the real
preprocessed files (jaxvision/data/human_mesh.py).
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.methods.lmr import geometry
from jaxvision.methods.lmr import parts as parts_lib
from jaxvision.models import rotations

_HIDDEN = 256
_BLOCK = 32
_POSE_GAIN = 3.0


def _motion(rng, length: int, partition: parts_lib.Partition) -> np.ndarray:
  """Axis-angle θ [T, 24, 3] of one sequence."""
  t = np.arange(length)[:, None]
  theta = np.zeros((length, partition.num_joints, 3), np.float32)
  for joints in partition.joints:
    freq = rng.uniform(0.02, 0.15)
    amp = rng.uniform(0.0, 0.5, (len(joints), 3))
    phase = rng.uniform(0.0, 2 * np.pi, (len(joints), 3))
    part = amp[None] * np.sin(2 * np.pi * freq * t[..., None] + phase[None])
    if rng.random() < 0.5:  # freeze the part for a random half
      start = rng.integers(0, length // 2 + 1)
      stop = start + length // 2
      part[start:stop] = part[start]
    theta[:, list(joints)] = part
  yaw = rng.uniform(-np.pi, np.pi) + 0.02 * t[:, 0]
  pitch = 0.1 * np.sin(2 * np.pi * rng.uniform(0.01, 0.05) * t[:, 0])
  roll = 0.1 * np.sin(2 * np.pi * rng.uniform(0.01, 0.05) * t[:, 0])
  theta[:, 0] = np.stack([pitch, yaw, roll], -1)
  return theta


def _cameras(rng, length: int) -> np.ndarray:
  """[T, 3] weak-perspective (s, tx, ty) with a slow linear drift."""
  start = np.concatenate([[rng.uniform(0.7, 1.1)], rng.uniform(-0.2, 0.2, 2)])
  drift = rng.uniform(-0.003, 0.003, 3)
  return (start[None] + drift[None] * np.arange(length)[:, None]).astype(
      np.float32
  )


def _feature_weights(world_seed: int, in_dim: int, out_dim: int):
  rng = np.random.default_rng((world_seed, 7))
  w1 = rng.normal(0, 2 / np.sqrt(in_dim), (in_dim, _HIDDEN))
  b1 = rng.normal(0, 0.5, _HIDDEN)
  w2 = rng.normal(0, 1.5 / np.sqrt(_HIDDEN), (_HIDDEN, out_dim))
  return [x.astype(np.float32) for x in (w1, b1, w2)]


def generate(
    body: geometry.Body,
    num_sequences: int,
    length: int,
    feature_dim: int,
    seed: int,
    world_seed: int,
    cam_model: str = "text",
) -> dict[str, dict]:
  """name -> sequence dict (features, kp2d, kp3d, pose, shape, valid, ...).

  `seed` draws the motions (use different seeds for train and test);
  `world_seed` fixes the feature extractor, shared by all splits.
  """
  if feature_dim % _BLOCK:
    raise ValueError(f"feature_dim must be a multiple of {_BLOCK}.")
  rng = np.random.default_rng(seed)
  partition = parts_lib.get("smpl6")
  theta = np.stack(
      [_motion(rng, length, partition) for _ in range(num_sequences)]
  )
  betas = np.clip(rng.normal(size=(num_sequences, 10)), -2, 2).astype(
      np.float32
  )
  cams = np.stack([_cameras(rng, length) for _ in range(num_sequences)])
  w1, b1, w2 = _feature_weights(world_seed, 24 * 9 + 10 + 3, feature_dim)

  @jax.jit
  def render(theta, betas, cams):
    rotmat = rotations.axis_angle_to_matrix(theta)
    betas_t = jnp.broadcast_to(betas[:, None], theta.shape[:2] + (10,))
    _, joints = body(rotmat, betas_t, "lsp14")
    kp2d = geometry.project(joints, cams, cam_model)
    # NOTE: R - I scaled up so pose, not β and camera, dominates the feature
    # variance (with raw R the pose is barely recoverable from 128 dims).
    pose_feature = _POSE_GAIN * (rotmat - jnp.eye(3))
    z = jnp.concatenate(
        [pose_feature.reshape(theta.shape[:2] + (-1,)), betas_t, cams], -1
    )
    features = jnp.tanh(jax.nn.gelu(z @ w1 + b1) @ w2)
    return joints, kp2d, features

  joints, kp2d, features = map(np.asarray, render(theta, betas, cams))
  features = features + rng.normal(0, 0.1, features.shape)
  occluded = rng.random(features.shape[:2]) < 0.2
  block = rng.integers(0, feature_dim // _BLOCK, features.shape[:2])
  columns = np.arange(feature_dim) // _BLOCK
  features[occluded[..., None] & (columns == block[..., None])] = 0.0
  ones = np.ones(kp2d.shape[:-1] + (1,), np.float32)
  return {
      f"seq{i:04d}": {
          "features": features[i].astype(np.float32),
          "kp2d": np.concatenate([kp2d[i], ones[i]], -1),
          "kp3d": joints[i],
          "pose": theta[i].reshape(length, 72),
          "shape": np.repeat(betas[i][None], length, 0),
          "valid": np.ones(length, bool),
          "has_smpl": np.bool_(True),
          "action": "",
      }
      for i in range(num_sequences)
  }
