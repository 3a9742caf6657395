"""A procedural SMPL-format body for the smoke run and tests (spec 12).

The SMPL kinematic tree (24 joints) with hand-set T-pose joints in metres
(+x is the body's left, +y up), one 8-vertex cube (half-size 3 cm) per joint
(V = 192, F = 288), skinning weights 0.8 own joint / 0.2 parent, a regressor
that averages each cube (so it recovers the rest joints exactly), and shape /
pose blend shapes. Written with the real SMPL keys, so the smoke run goes
through the same loader as SMPL_NEUTRAL.npz / .pkl.
"""

import os

import numpy as np

from jaxvision.methods.lmr import parts
from jaxvision.models import smpl

REST_JOINTS = np.array(
    [
        (0, 0, 0),
        (0.08, -0.08, 0),
        (-0.08, -0.08, 0),
        (0, 0.10, 0),
        (0.10, -0.48, 0),
        (-0.10, -0.48, 0),
        (0, 0.24, 0),
        (0.10, -0.88, 0),
        (-0.10, -0.88, 0),
        (0, 0.30, 0),
        (0.10, -0.95, 0.08),
        (-0.10, -0.95, 0.08),
        (0, 0.50, 0),
        (0.08, 0.42, 0),
        (-0.08, 0.42, 0),
        (0, 0.62, 0),
        (0.17, 0.44, 0),
        (-0.17, 0.44, 0),
        (0.43, 0.44, 0),
        (-0.43, 0.44, 0),
        (0.68, 0.44, 0),
        (-0.68, 0.44, 0),
        (0.76, 0.44, 0),
        (-0.76, 0.44, 0),
    ],
    np.float32,
)
HALF_SIZE = 0.03
NUM_BETAS = 10
LEG_JOINTS = (4, 5, 7, 8, 10, 11)
ARM_JOINTS = (18, 19, 20, 21, 22, 23)
# The 14 LSP-order evaluation joints (spec 12): R ankle, R knee, R hip, L hip,
# L knee, L ankle, R wrist, R elbow, R shoulder, L shoulder, L elbow, L wrist,
# neck, head.
EVAL_JOINTS = (8, 5, 2, 1, 4, 7, 21, 19, 17, 16, 18, 20, 12, 15)
MEAN_CAM = (0.9, 0.0, 0.0)

_CUBE_CORNERS = np.array(
    [[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float32
)
# 12 outward-facing triangles over the corners above (index = 4x + 2y + z).
_CUBE_FACES = np.array(
    [
        [0, 1, 3],
        [0, 3, 2],
        [4, 6, 7],
        [4, 7, 5],
        [0, 4, 5],
        [0, 5, 1],
        [2, 3, 7],
        [2, 7, 6],
        [0, 2, 6],
        [0, 6, 4],
        [1, 5, 7],
        [1, 7, 3],
    ],
    np.int32,
)


def _limb_offsets(joints):
  """Per leg/arm joint, its offset from the hip/shoulder (limb lengths)."""
  offsets = np.zeros_like(joints)
  for j in LEG_JOINTS:
    offsets[j] = joints[j] - joints[1 if joints[j, 0] > 0 else 2]
  for j in ARM_JOINTS:
    offsets[j] = joints[j] - joints[16 if joints[j, 0] > 0 else 17]
  return offsets


def build(seed: int = 0) -> smpl.SmplArrays:
  """The toy body model (deterministic given `seed`)."""
  rng = np.random.default_rng(seed)
  parents = np.array(parts.SMPL_PARENTS, np.int64)
  num_joints = len(parents)
  verts = (REST_JOINTS[:, None] + HALF_SIZE * _CUBE_CORNERS[None]).reshape(
      -1, 3
  )
  owner = np.repeat(np.arange(num_joints), 8)
  faces = (
      _CUBE_FACES[None] + 8 * np.arange(num_joints)[:, None, None]
  ).reshape(-1, 3)
  weights = np.zeros((len(verts), num_joints), np.float32)
  weights[np.arange(len(verts)), owner] = 0.8
  parent_of_vertex = parents[owner]
  is_root = parent_of_vertex < 0
  weights[np.arange(len(verts))[~is_root], parent_of_vertex[~is_root]] += 0.2
  weights[np.arange(len(verts))[is_root], 0] = 1.0
  regressor = np.zeros((num_joints, len(verts)), np.float32)
  regressor[owner, np.arange(len(verts))] = 1.0 / 8.0
  # Shape directions, applied per joint to all 8 vertices of its cube.
  joint_dirs = np.zeros((num_joints, 3, NUM_BETAS), np.float32)
  joint_dirs[:, :, 0] = 0.05 * REST_JOINTS
  limb = _limb_offsets(REST_JOINTS)
  legs = np.zeros(num_joints, bool)
  legs[list(LEG_JOINTS)] = True
  joint_dirs[:, :, 1] = 0.1 * limb * legs[:, None]
  joint_dirs[:, :, 2] = 0.1 * limb * ~legs[:, None]
  joint_dirs[:, :, 3:] = rng.normal(0, 0.01, (num_joints, 3, NUM_BETAS - 3))
  shapedirs = joint_dirs[owner]
  posedirs = rng.normal(0, 1e-4, (len(verts), 3, 9 * (num_joints - 1)))
  return smpl.SmplArrays(
      v_template=verts.astype(np.float32),
      shapedirs=shapedirs.astype(np.float32),
      posedirs=posedirs.astype(np.float32),
      J_regressor=regressor,
      weights=weights,
      parents=parents,
      faces=faces.astype(np.int32),
  )


def eval_regressor(arrays: smpl.SmplArrays) -> np.ndarray:
  """[14, V]: the LSP-order evaluation joints, regressed from vertices."""
  return arrays.J_regressor[list(EVAL_JOINTS)]


def mean_params(num_joints: int = 24) -> dict[str, np.ndarray]:
  """SPIN-layout mean parameters: identity 6D per joint, β = 0, mean camera."""
  identity6d = np.array([1, 0, 0, 1, 0, 0], np.float32)
  return {
      "pose": np.tile(identity6d, num_joints),
      "shape": np.zeros(NUM_BETAS, np.float32),
      "cam": np.array(MEAN_CAM, np.float32),
  }


def write_assets(directory: str, seed: int = 0) -> dict[str, str]:
  """Writes toy_smpl.{npz,pkl}, the mean params and the eval regressor.

  Files are written atomically (temp name + rename), so concurrent test
  processes never read a half-written file. Returns name -> path.
  """
  os.makedirs(directory, exist_ok=True)
  arrays = build(seed)
  paths = {
      "smpl": os.path.join(directory, "toy_smpl.npz"),
      "smpl_pkl": os.path.join(directory, "toy_smpl.pkl"),
      "mean_params": os.path.join(directory, "toy_mean_params.npz"),
      "eval_regressor": os.path.join(directory, "toy_J_regressor_eval.npy"),
  }
  writers = {
      "smpl": lambda p: smpl.save_npz(arrays, p),
      "smpl_pkl": lambda p: smpl.save_pkl(arrays, p),
      "mean_params": lambda p: np.savez(p, **mean_params()),
      "eval_regressor": lambda p: np.save(p, eval_regressor(arrays)),
  }
  for name, path in paths.items():
    if os.path.exists(path):
      continue
    stem, ext = os.path.splitext(path)
    tmp = f"{stem}.tmp{os.getpid()}{ext}"
    writers[name](tmp)
    os.replace(tmp, path)
  return paths
