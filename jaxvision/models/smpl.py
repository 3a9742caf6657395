"""SMPL body model in JAX: blend shapes, joint regression, skinning.

Reads the user's SMPL model file from a local path (never downloaded; the
model is license-gated) in the real key layout:

  v_template [V, 3], shapedirs [V, 3, B], posedirs [V, 3, P = 9 (J - 1)],
  J_regressor [J, V] (scipy.sparse in the .pkl), weights [V, J],
  kintree_table [2, J] (row 0: parents, root parent stored as 2**32 - 1),
  f [F, 3].

Accepted files: `.npz` with those keys, or a `.pkl`: the chumpy-free numpy
pickle that smplx users convert the official files to, or the official
chumpy pickle (chumpy is not needed: its arrays load as `_ChumpyArray`).
A `.pkl` is read with an allow-list unpickler (numpy arrays, scipy sparse
matrices, chumpy arrays), so a malicious file cannot run code. `convert`
writes the `.npz`.

The forward pass (spec 5.1) is `Smpl(arrays)(betas, rotmats)`:
  shape blend -> rest joints -> pose blend (R - I of joints 1..J-1,
  joint-major) -> kinematic chain -> rest-pose removal -> LBS.
"""

import dataclasses
import os
import pickle
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
import scipy.sparse

from jaxvision import user_errors
from jaxvision.models import rotations
from jaxvision.weights import torch_pickle


class BodyModelError(user_errors.InputError, ValueError):
  """A body-model .pkl that is refused (code it would run) or unreadable."""


# pylint: disable=g-import-not-at-top
try:  # numpy >= 2; numpy 1.x pickles name numpy.core, mapped to it below.
  from numpy._core import multiarray as _multiarray
except ImportError:
  from numpy.core import multiarray as _multiarray
# pylint: enable=g-import-not-at-top

KEYS = (
    "v_template",
    "shapedirs",
    "posedirs",
    "J_regressor",
    "weights",
    "kintree_table",
    "f",
)
_ROOT_PARENT = 2**32 - 1


@dataclasses.dataclass(frozen=True)
class SmplArrays:
  """The model arrays, validated, as float32/int numpy arrays."""

  v_template: np.ndarray
  shapedirs: np.ndarray
  posedirs: np.ndarray
  J_regressor: np.ndarray  # pylint: disable=invalid-name
  weights: np.ndarray
  parents: np.ndarray  # [J] int, -1 for the root
  faces: np.ndarray

  @property
  def num_vertices(self) -> int:
    return self.v_template.shape[0]

  @property
  def num_joints(self) -> int:
    return self.J_regressor.shape[0]

  @property
  def num_betas(self) -> int:
    return self.shapedirs.shape[-1]

  def to_dict(self) -> dict[str, np.ndarray]:
    """The arrays under the file keys (kintree_table rebuilt, root 2**32-1)."""
    parents = self.parents.astype(np.int64).copy()
    parents[parents < 0] = _ROOT_PARENT
    kintree = np.stack([parents, np.arange(len(parents))]).astype(np.int64)
    return {
        "v_template": self.v_template,
        "shapedirs": self.shapedirs,
        "posedirs": self.posedirs,
        "J_regressor": self.J_regressor,
        "weights": self.weights,
        "kintree_table": kintree,
        "f": self.faces,
    }


class _ChumpyArray:
  """Stands in for a pickled `chumpy.ch.Ch` (the official SMPL files' arrays):
  keeps its value `x` as `.r`, the attribute chumpy computes it into."""

  def __setstate__(self, state):
    if not isinstance(state, dict) or "x" not in state:
      raise pickle.UnpicklingError("a chumpy.ch.Ch without its value 'x'")
    self.r = np.asarray(state["x"])


def _reconstructor(cls, base, state):
  """`copyreg._reconstructor` (protocol 0/1 objects) for plain objects only."""
  if base is not object or state is not None:
    raise pickle.UnpicklingError(
        f"copyreg._reconstructor of {cls!r} from {base!r}"
    )
  return object.__new__(cls)


def _latin1(text: str, encoding: str = "latin1") -> bytes:
  """`_codecs.encode` as protocol < 3 pickles use it: bytes from latin-1."""
  if encoding != "latin1":
    raise pickle.UnpicklingError(f"_codecs.encode with {encoding!r}")
  return text.encode("latin1")


# Every global an SMPL .pkl names, under its numpy 1/2, scipy, Python 2/3
# module names; `_reconstructor` builds only the classes listed here.
_PKL_GLOBALS = {
    **{
        (module, name): getattr(_multiarray, name)
        for module in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")
    },
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    **{
        (f"scipy.sparse.{module}", f"{kind}_matrix"): getattr(
            scipy.sparse, f"{kind}_matrix"
        )
        for kind in ("csc", "csr")
        for module in (kind, f"_{kind}")
    },
    ("chumpy.ch", "Ch"): _ChumpyArray,
    **{
        (module, "_reconstructor"): _reconstructor
        for module in ("copy_reg", "copyreg")
    },
    **{
        (module, name): builtin
        for module in ("__builtin__", "builtins")
        for name, builtin in (("object", object), ("set", set))
    },
    ("_codecs", "encode"): _latin1,
}


def _read_pkl(path: str) -> Any:
  """The unpickled `.pkl`; globals outside `_PKL_GLOBALS` are refused."""
  try:
    with open(path, "rb") as f:
      return torch_pickle.RestrictedUnpickler(
          f, _PKL_GLOBALS, encoding="latin1"
      ).load()
  except torch_pickle.RefusedGlobalError as e:
    if e.qualname.startswith("chumpy."):
      raise BodyModelError(
          f"SMPL file holds chumpy objects other than plain arrays "
          f"({e.qualname} in {path}); convert it to a chumpy-free .pkl "
          "with smplx's tools/clean_ch.py (needs chumpy) and load that"
      ) from None
    raise BodyModelError(
        f"refusing to unpickle {e.qualname}, which an SMPL model file never "
        f"holds: loading it could run code ({path}); use the official SMPL "
        "file or a .npz with keys " + ", ".join(KEYS)
    ) from None
  except Exception as e:  # pylint: disable=broad-except
    # A malformed pickle fails in whatever the allowed classes raise.
    raise BodyModelError(
        f"not a readable SMPL pickle ({path}: {e!r}); use the "
        "official SMPL .pkl or a .npz with keys " + ", ".join(KEYS)
    ) from None


def _dense(value: Any, what: str) -> np.ndarray:
  if scipy.sparse.issparse(value):  # the .pkl's J_regressor
    # NOTE: toarray() trusts the index arrays; a crafted file's would write
    # out of bounds, so they are checked first.
    try:
      value.check_format(full_check=True)
    except (ValueError, TypeError, AttributeError) as e:
      raise BodyModelError(
          f"invalid sparse matrix: {e} ({what}); use the "
          "official SMPL file or a .npz"
      ) from None
    value = value.toarray()
  value = getattr(value, "r", value)  # chumpy arrays
  return np.asarray(value)


def from_dict(data: Any, source: str = "<dict>") -> SmplArrays:
  """Validates a key -> array mapping in the SMPL layout."""
  missing = [k for k in KEYS if k not in data]
  if missing:
    raise ValueError(
        f"{source}: not an SMPL model file, missing keys "
        f"{missing} (needs {list(KEYS)})."
    )
  arr = {k: _dense(data[k], f"{source}: {k}") for k in KEYS}
  v = arr["v_template"].shape[0]
  j = arr["J_regressor"].shape[0]
  expect = {
      "v_template": (v, 3),
      "J_regressor": (j, v),
      "weights": (v, j),
      "kintree_table": (2, j),
      "posedirs": (v, 3, 9 * (j - 1)),
  }
  for key, shape in expect.items():
    if arr[key].shape != shape:
      raise ValueError(
          f"{source}: {key} has shape {arr[key].shape}, expected "
          f"{shape} for V={v} vertices and J={j} joints."
      )
  if arr["shapedirs"].ndim != 3 or arr["shapedirs"].shape[:2] != (v, 3):
    raise ValueError(
        f"{source}: shapedirs has shape {arr['shapedirs'].shape}"
        f", expected ({v}, 3, num_betas)."
    )
  if arr["f"].ndim != 2 or arr["f"].shape[1] != 3:
    raise ValueError(
        f"{source}: f has shape {arr['f'].shape}, expected " "(F, 3) triangles."
    )
  # NOTE: the root's parent is stored as 2**32 - 1 (uint32 -1), not -1.
  parents = arr["kintree_table"][0].astype(np.int64)
  parents[parents >= j] = -1
  parents[parents < 0] = -1
  if (
      parents[0] != -1
      or np.any(parents[1:] >= np.arange(1, j))
      or np.any(parents[1:] < 0)
  ):
    raise ValueError(
        f"{source}: kintree_table must list joints in "
        "topological order (root first, parent < child), got "
        f"parents {parents.tolist()}."
    )
  return SmplArrays(
      v_template=arr["v_template"].astype(np.float32),
      shapedirs=arr["shapedirs"].astype(np.float32),
      posedirs=arr["posedirs"].astype(np.float32),
      J_regressor=arr["J_regressor"].astype(np.float32),
      weights=arr["weights"].astype(np.float32),
      parents=parents,
      faces=arr["f"].astype(np.int32),
  )


def load(path: str) -> SmplArrays:
  """Loads an SMPL model from a local `.npz` or `.pkl` file."""
  path = os.path.expanduser(path)
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f"SMPL model file {path!r} not found. Download SMPL (license-gated) "
        "from https://smpl.is.tue.mpg.de, e.g. SMPL_NEUTRAL.pkl, convert it "
        "to a chumpy-free .pkl or .npz with keys "
        + ", ".join(KEYS)
        + " (jaxvision.models.smpl.convert), and point the config at it."
    )
  if path.endswith(".npz"):
    with np.load(path, allow_pickle=False) as data:
      return from_dict({k: data[k] for k in data.files}, path)
  if path.endswith(".pkl"):
    return from_dict(_read_pkl(path), path)
  raise ValueError(f"{path}: unknown SMPL file type; use .npz or .pkl.")


def save_npz(arrays: SmplArrays, path: str) -> str:
  np.savez(path, **arrays.to_dict())
  return path


def save_pkl(arrays: SmplArrays, path: str) -> str:
  """A chumpy-free pickle: numpy arrays plus a scipy.sparse J_regressor."""
  data = arrays.to_dict()
  data["J_regressor"] = scipy.sparse.csc_matrix(data["J_regressor"])
  with open(path, "wb") as f:
    pickle.dump(data, f, protocol=2)
  return path


def convert(src: str, dst: str) -> str:
  """Converts a model file to `.npz` (or chumpy-free `.pkl`) by extension."""
  arrays = load(src)
  return (
      save_pkl(arrays, dst) if dst.endswith(".pkl") else save_npz(arrays, dst)
  )


class SmplOutput(NamedTuple):
  vertices: jnp.ndarray  # [N, V, 3]
  joints: jnp.ndarray  # [N, J, 3] posed kinematic joints
  rest_joints: jnp.ndarray  # [N, J, 3]


class Smpl:
  """The SMPL forward pass over the model's constant arrays (no params)."""

  def __init__(self, arrays: SmplArrays):
    self.arrays = arrays
    self.parents = tuple(int(p) for p in arrays.parents)
    self.v_template = jnp.asarray(arrays.v_template)
    self.shapedirs = jnp.asarray(arrays.shapedirs)
    self.posedirs = jnp.asarray(arrays.posedirs)
    self.j_regressor = jnp.asarray(arrays.J_regressor)
    self.weights = jnp.asarray(arrays.weights)
    self.faces = arrays.faces

  def __call__(self, betas, rotmats) -> SmplOutput:
    """betas [..., B'] (B' <= B), rotmats [..., J, 3, 3] -> SmplOutput."""
    lead = rotmats.shape[:-3]
    num_joints = len(self.parents)
    if rotmats.shape[-3:] != (num_joints, 3, 3):
      raise ValueError(
          f"rotmats must be [..., {num_joints}, 3, 3], got " f"{rotmats.shape}."
      )
    if betas.shape[-1] > self.shapedirs.shape[-1]:
      raise ValueError(
          f"got {betas.shape[-1]} betas but the model has "
          f"{self.shapedirs.shape[-1]} shape components."
      )
    rotmats = rotmats.reshape((-1, num_joints, 3, 3))
    betas = jnp.broadcast_to(betas, lead + betas.shape[-1:]).reshape(
        (rotmats.shape[0], -1)
    )
    n = rotmats.shape[0]
    shapedirs = self.shapedirs[..., : betas.shape[-1]]
    v_shaped = self.v_template + jnp.einsum("vdb,nb->nvd", shapedirs, betas)
    rest = jnp.einsum("jv,nvd->njd", self.j_regressor, v_shaped)
    # NOTE: pose features are (R - I) of joints 1..J-1 only, joint-major,
    # each 3x3 row-major: 207 = 23 x 9 for SMPL (spec pitfall 6).
    pose_feature = (rotmats[:, 1:] - jnp.eye(3)).reshape(n, -1)
    v_posed = v_shaped + jnp.einsum("np,vdp->nvd", pose_feature, self.posedirs)
    transforms = self._chain(rotmats, rest)
    posed_joints = transforms[:, :, :3, 3]
    # A_k = G_k [I | -J_k]: remove the rest-pose joint position.
    correction = jnp.einsum("njab,njb->nja", transforms[:, :, :3, :3], rest)
    transforms = transforms.at[:, :, :3, 3].add(-correction)
    per_vertex = jnp.einsum("vj,njab->nvab", self.weights, transforms)
    verts = jnp.einsum("nvab,nvb->nva", per_vertex[..., :3, :3], v_posed)
    verts = verts + per_vertex[..., :3, 3]
    return SmplOutput(
        verts.reshape(lead + verts.shape[1:]),
        posed_joints.reshape(lead + posed_joints.shape[1:]),
        rest.reshape(lead + rest.shape[1:]),
    )

  def _chain(self, rotmats, rest):
    """Global 4x4 transforms G_k of every joint, root first."""
    n = rotmats.shape[0]
    bottom = jnp.broadcast_to(jnp.array([0.0, 0.0, 0.0, 1.0]), (n, 1, 4))
    globals_ = []
    for k, parent in enumerate(self.parents):
      offset = rest[:, k] if parent < 0 else rest[:, k] - rest[:, parent]
      local = jnp.concatenate(
          [jnp.concatenate([rotmats[:, k], offset[..., None]], -1), bottom], 1
      )
      globals_.append(local if parent < 0 else globals_[parent] @ local)
    return jnp.stack(globals_, axis=1)

  def from_axis_angle(self, betas, pose) -> SmplOutput:
    """betas [..., B'], pose [..., 3 J] axis-angle (SMPL's θ) -> output."""
    rotmats = rotations.axis_angle_to_matrix(
        pose.reshape(pose.shape[:-1] + (-1, 3))
    )
    return self(betas, rotmats)


def regress(regressor, vertices):
  """Joints from vertices, X = W V: [K, V] x [..., V, 3] -> [..., K, 3]."""
  return jnp.einsum("kv,...vd->...kd", regressor, vertices)
