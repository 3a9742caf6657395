"""SMPL layer and rotation conversions on the procedural toy body.

Parity against the reference `smplx` package runs where it is installed.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision.methods.lmr import toy_body
from jaxvision.models import rotations
from jaxvision.models import smpl


@pytest.fixture(scope="module")
def arrays():
  return toy_body.build(seed=0)


def _random_aa(seed, shape, scale=1.0):
  return jnp.asarray(
      np.random.default_rng(seed).normal(0, scale, shape + (3,)), jnp.float32
  )


def test_rodrigues_6d_and_axis_angle_round_trip():
  aa = _random_aa(0, (64,))
  rot = rotations.axis_angle_to_matrix(aa)
  np.testing.assert_allclose(
      rot @ jnp.swapaxes(rot, -1, -2),
      np.broadcast_to(np.eye(3), rot.shape),
      atol=1e-5,
  )
  np.testing.assert_allclose(
      rotations.rot6d_to_matrix(rotations.matrix_to_rot6d(rot)), rot, atol=1e-5
  )
  np.testing.assert_allclose(
      rotations.axis_angle_to_matrix(rotations.matrix_to_axis_angle(rot)),
      rot,
      atol=1e-4,
  )


def test_6d_layout_is_spin_columns():
  # SPIN: 3x2 row-major, columns are the first two basis vectors.
  rot = rotations.axis_angle_to_matrix(jnp.array([0.3, -0.2, 0.5]))
  six = rotations.matrix_to_rot6d(rot)
  np.testing.assert_allclose(six.reshape(3, 2), rot[:, :2], atol=1e-7)


def test_gradients_finite_at_identity():
  grads = jax.grad(lambda r: jnp.sum(rotations.axis_angle_to_matrix(r)))(
      jnp.zeros(3)
  )
  assert np.all(np.isfinite(grads))
  grads = jax.grad(
      lambda r: jnp.sum(
          rotations.matrix_to_axis_angle(rotations.axis_angle_to_matrix(r))
      )
  )(jnp.zeros(3))
  assert np.all(np.isfinite(grads))


def test_zero_pose_and_shape_reproduce_template(arrays):
  model = smpl.Smpl(arrays)
  out = model(jnp.zeros((2, 10)), jnp.tile(jnp.eye(3), (2, 24, 1, 1)))
  np.testing.assert_allclose(out.vertices[0], arrays.v_template, atol=1e-6)
  np.testing.assert_allclose(out.joints[1], toy_body.REST_JOINTS, atol=1e-6)


def test_root_rotation_rotates_every_vertex_about_root(arrays):
  model = smpl.Smpl(arrays)
  betas = jnp.asarray(np.random.default_rng(1).normal(size=(10,)), jnp.float32)
  rest = model(betas, jnp.tile(jnp.eye(3), (24, 1, 1)))
  rot = rotations.axis_angle_to_matrix(jnp.array([0.4, 1.0, -0.3]))
  posed = model(betas, jnp.tile(jnp.eye(3), (24, 1, 1)).at[0].set(rot))
  root = rest.rest_joints[0]
  expected = (rest.vertices - root) @ rot.T + root
  np.testing.assert_allclose(posed.vertices, expected, atol=1e-5)


def test_one_hot_weights_move_cubes_rigidly(arrays):
  owner = np.repeat(np.arange(24), 8)
  weights = np.zeros_like(arrays.weights)
  weights[np.arange(len(owner)), owner] = 1.0
  rigid = smpl.SmplArrays(
      **{
          **arrays.__dict__,
          "weights": weights,
          "posedirs": np.zeros_like(arrays.posedirs),
      }
  )
  out = smpl.Smpl(rigid)(
      jnp.zeros(10), rotations.axis_angle_to_matrix(_random_aa(2, (24,), 0.5))
  )
  cubes = np.asarray(out.vertices).reshape(24, 8, 3)
  rest = arrays.v_template.reshape(24, 8, 3)
  # Rigid motion keeps all pairwise distances within each cube.
  dist = lambda x: np.linalg.norm(x[:, :, None] - x[:, None], axis=-1)
  np.testing.assert_allclose(dist(cubes), dist(rest), atol=1e-5)


def test_npz_and_chumpy_free_pkl_load_the_same(arrays, tmp_path):
  npz = smpl.save_npz(arrays, str(tmp_path / "m.npz"))
  pkl = smpl.save_pkl(arrays, str(tmp_path / "m.pkl"))
  a, b = smpl.load(npz), smpl.load(pkl)
  for key in (
      "v_template",
      "shapedirs",
      "posedirs",
      "J_regressor",
      "weights",
      "parents",
      "faces",
  ):
    np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    np.testing.assert_array_equal(getattr(a, key), getattr(arrays, key))
  assert a.parents[0] == -1  # stored as 2**32 - 1
  assert smpl.convert(pkl, str(tmp_path / "c.npz")).endswith(".npz")


def test_bad_files_give_clear_errors(arrays, tmp_path):
  with pytest.raises(FileNotFoundError, match="smpl.is.tue.mpg.de"):
    smpl.load(str(tmp_path / "SMPL_NEUTRAL.npz"))
  bad = arrays.to_dict()
  del bad["posedirs"]
  np.savez(tmp_path / "bad.npz", **bad)
  with pytest.raises(ValueError, match="missing keys"):
    smpl.load(str(tmp_path / "bad.npz"))
  with pytest.raises(ValueError, match="rotmats"):
    smpl.Smpl(arrays)(jnp.zeros(10), jnp.zeros((23, 3, 3)))


def test_parity_with_smplx_lbs(arrays):
  torch = pytest.importorskip("torch")
  lbs = pytest.importorskip("smplx.lbs")
  rng = np.random.default_rng(3)
  betas = rng.normal(size=(2, 10)).astype(np.float32)
  pose = rng.normal(0, 0.4, (2, 72)).astype(np.float32)
  t = lambda x: torch.from_numpy(np.asarray(x))
  ref_verts, ref_joints = lbs.lbs(
      t(betas),
      t(pose),
      t(arrays.v_template),
      t(arrays.shapedirs),
      t(arrays.posedirs.reshape(-1, 207).T.copy()),
      t(arrays.J_regressor),
      t(arrays.parents),
      t(arrays.weights),
      pose2rot=True,
  )
  out = smpl.Smpl(arrays).from_axis_angle(jnp.asarray(betas), jnp.asarray(pose))
  np.testing.assert_allclose(out.vertices, ref_verts.numpy(), atol=1e-5)
  np.testing.assert_allclose(out.joints, ref_joints.numpy(), atol=1e-5)
