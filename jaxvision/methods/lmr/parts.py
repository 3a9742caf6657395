"""The SMPL joint tree and LMR's body-part partition (spec 3.2).

θ inside the model is in *part order* (root, head, left arm, right arm, left
leg, right leg); the SMPL forward pass needs *SMPL order*. `Partition` holds
the fixed permutation both ways (spec pitfall 1: an off-by-permutation bug
still trains, but badly).
"""

import dataclasses

import numpy as np

SMPL_JOINT_NAMES = (
    "pelvis",
    "L_hip",
    "R_hip",
    "spine1",
    "L_knee",
    "R_knee",
    "spine2",
    "L_ankle",
    "R_ankle",
    "spine3",
    "L_foot",
    "R_foot",
    "neck",
    "L_collar",
    "R_collar",
    "head",
    "L_shoulder",
    "R_shoulder",
    "L_elbow",
    "R_elbow",
    "L_wrist",
    "R_wrist",
    "L_hand",
    "R_hand",
)
SMPL_PARENTS = (
    -1,
    0,
    0,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    9,
    9,
    12,
    13,
    14,
    16,
    17,
    18,
    19,
    20,
    21,
)

# TEXT joint counts 4/2/5/5/4/4; the joint indices are the spec's default.
PARTITIONS = {
    "smpl6": (
        ("root", (0, 3, 6, 9)),
        ("head", (12, 15)),
        ("left_arm", (13, 16, 18, 20, 22)),
        ("right_arm", (14, 17, 19, 21, 23)),
        ("left_leg", (1, 4, 7, 10)),
        ("right_leg", (2, 5, 8, 11)),
    ),
}


@dataclasses.dataclass(frozen=True)
class Partition:
  """Named parts, the first holding the root; permutations to SMPL order."""

  names: tuple[str, ...]
  joints: tuple[tuple[int, ...], ...]

  def __post_init__(self):
    flat = sorted(j for part in self.joints for j in part)
    if flat != list(range(len(flat))):
      raise ValueError(
          f"Parts {dict(zip(self.names, self.joints))} must "
          f"cover joints 0..{len(flat) - 1} exactly once."
      )
    if 0 not in self.joints[0]:
      raise ValueError(
          "The first part must contain the root joint 0 (it "
          "holds the global orientation and is inferred first)."
      )

  @property
  def num_joints(self) -> int:
    return sum(len(p) for p in self.joints)

  @property
  def part_to_smpl(self) -> np.ndarray:
    """[J]: the SMPL joint at each position of the part-ordered θ."""
    return np.array([j for part in self.joints for j in part])

  @property
  def smpl_to_part(self) -> np.ndarray:
    """[J]: the part-order position of each SMPL joint (the inverse)."""
    return np.argsort(self.part_to_smpl)

  def slices(self) -> list[slice]:
    """Per part, its joint range in part order."""
    out, start = [], 0
    for part in self.joints:
      out.append(slice(start, start + len(part)))
      start += len(part)
    return out


def get(name_or_parts) -> Partition:
  """A named partition ("smpl6") or a custom {name: joints} / pair list."""
  if isinstance(name_or_parts, str):
    if name_or_parts not in PARTITIONS:
      raise ValueError(
          f"Unknown partition {name_or_parts!r}; known: "
          f"{sorted(PARTITIONS)} (or give (name, joints) pairs)."
      )
    items = PARTITIONS[name_or_parts]
  elif hasattr(name_or_parts, "items"):
    items = tuple(name_or_parts.items())
  else:
    items = tuple(name_or_parts)
  return Partition(
      names=tuple(n for n, _ in items),
      joints=tuple(tuple(int(j) for j in js) for _, js in items),
  )
