"""jaxvision.core.sharding on the 8 fake CPU devices of tests/conftest.py:
mesh building, regex partition rules (with the fsdp shorthand and the
replication fallback), batch sharding and whole-tree shardings."""

import jax
from jax.sharding import PartitionSpec as P
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxvision import errors
from jaxvision import user_errors
from jaxvision.core import sharding


def _mesh(**axes):
  return sharding.make_mesh(axes)


def test_eight_fake_devices():
  assert jax.device_count() == 8


@pytest.mark.parametrize(
    "axes, shape",
    [
        ({}, (8, 1, 1)),
        ({"fsdp": 2}, (4, 2, 1)),
        ({"data": 2, "tensor": 4}, (2, 1, 4)),
        ({"data": 1, "fsdp": -1}, (1, 8, 1)),
        ({"data": 2, "fsdp": 2, "tensor": 2}, (2, 2, 2)),
    ],
)
def test_mesh_fills_the_minus_one_axis(axes, shape):
  mesh = sharding.make_mesh(ml_collections.ConfigDict(axes))
  assert mesh.axis_names == sharding.AXES
  assert tuple(mesh.shape[a] for a in sharding.AXES) == shape
  assert mesh.devices.size == 8


def test_mesh_over_given_devices():
  mesh = sharding.make_mesh({"fsdp": 2}, devices=jax.devices()[:4])
  assert dict(mesh.shape) == {"data": 2, "fsdp": 2, "tensor": 1}


@pytest.mark.parametrize(
    "axes, match",
    [
        ({"model": 2}, "Unknown mesh axes"),
        ({"data": -1, "fsdp": -1}, "Only one mesh axis may be -1"),
        ({"fsdp": 3}, "do not divide 8 devices"),
        ({"data": 2, "fsdp": 2, "tensor": 1}, "needs 4 devices"),
    ],
)
def test_bad_mesh_configs_name_the_problem(axes, match):
  with pytest.raises(user_errors.InvalidValueError, match=match) as caught:
    sharding.make_mesh(axes)
  assert errors.exit_code(caught.value) == 2  # one line on the CLI, exit 2


def test_batch_sharding_splits_the_leading_axis_over_data_and_fsdp():
  mesh = _mesh(data=2, fsdp=2, tensor=2)
  assert sharding.batch_shards(mesh) == 4
  spec = sharding.batch_sharding(mesh)
  assert spec.spec == P(("data", "fsdp"))
  batch = jax.device_put(np.arange(8 * 3, dtype=np.float32).reshape(8, 3), spec)
  # 4 row blocks of 2, each on the 2 tensor-axis devices of its block.
  shards = {
      (s.index[0].start, s.index[0].stop) for s in batch.addressable_shards
  }
  assert shards == {(0, 2), (2, 4), (4, 6), (6, 8)}
  assert all(s.data.shape == (2, 3) for s in batch.addressable_shards)
  assert sharding.replicated(mesh).spec == P()


def test_path_name_joins_dict_keys_attributes_and_indices():
  tree = {"model": {"dense": [jnp.zeros(1), {"kernel": jnp.zeros(1)}]}}
  paths = [
      sharding.path_name(p)
      for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]
  ]
  assert paths == ["model/dense/0", "model/dense/1/kernel"]


def test_first_matching_rule_wins():
  mesh = _mesh(data=4, tensor=2)
  rules = [(r"attn/.*kernel", (None, "tensor")), (r"kernel", ("tensor",))]
  assert sharding.spec_for("model/attn/q/kernel", (8, 8), rules, mesh) == P(
      None, "tensor"
  )
  assert sharding.spec_for("model/mlp/kernel", (8, 8), rules, mesh) == P(
      "tensor"
  )
  assert sharding.spec_for("model/mlp/bias", (8,), rules, mesh) == P()


def test_specs_that_do_not_fit_fall_back_to_replication():
  mesh = _mesh(data=4, tensor=2)
  rules = [("kernel", (None, "tensor"))]
  # 7 is not divisible by the tensor axis; a 1-d leaf has too few dims.
  assert sharding.spec_for("kernel", (8, 7), rules, mesh) == P()
  assert sharding.spec_for("kernel", (8,), rules, mesh) == P()
  # A tuple of axes divides by their product; lists from configs are tuples.
  assert sharding.spec_for(
      "w", (16, 3), [("w", [["data", "tensor"], None])], mesh
  ) == P(("data", "tensor"), None)
  assert (
      sharding.spec_for("w", (4, 3), [("w", [["data", "tensor"], None])], mesh)
      == P()
  )


def test_fsdp_shorthand_shards_the_largest_divisible_dim():
  mesh = _mesh(data=2, fsdp=4)
  assert sharding.spec_for("k", (6, 16), [(".*", "fsdp")], mesh) == P(
      None, "fsdp"
  )
  assert sharding.spec_for("k", (12, 6), [(".*", "fsdp")], mesh) == P(
      "fsdp", None
  )
  assert sharding.spec_for("k", (3, 5), [(".*", "fsdp")], mesh) == P()
  # Without an fsdp axis the shorthand replicates.
  assert sharding.spec_for("k", (16, 16), [(".*", "fsdp")], _mesh()) == P()


def test_rule_naming_an_unknown_axis_is_rejected():
  with pytest.raises(ValueError, match="unknown mesh axis 'model'"):
    sharding.spec_for("kernel", (8, 8), [("kernel", ("model",))], _mesh())


def test_tree_shardings_cover_abstract_trees():
  mesh = _mesh(fsdp=8)
  tree = {
      "model": {
          "kernel": jax.ShapeDtypeStruct((16, 4), jnp.float32),
          "bias": jax.ShapeDtypeStruct((4,), jnp.float32),
      }
  }
  out = sharding.tree_shardings(tree, [(".*", "fsdp")], mesh)
  assert out["model"]["kernel"].spec == P("fsdp", None)
  assert out["model"]["bias"].spec == P()
  assert out["model"]["kernel"].mesh is mesh


def test_default_rules_add_fsdp_for_an_fsdp_mesh():
  config = ml_collections.ConfigDict(
      {"partition_rules": [["embed", [None, "tensor"]]], "mesh": {"fsdp": 2}}
  )
  assert sharding.default_rules(config) == [
      ("embed", [None, "tensor"]),
      (".*", "fsdp"),
  ]
  plain = ml_collections.ConfigDict({"mesh": {"data": -1}})
  assert sharding.default_rules(plain) == []


def test_sharded_params_hold_one_slice_per_device():
  mesh = _mesh(data=2, fsdp=4)
  kernel = jnp.arange(16 * 2, dtype=jnp.float32).reshape(16, 2)
  placed = jax.device_put(
      kernel, sharding.tree_shardings(kernel, [(".*", "fsdp")], mesh)
  )
  assert {s.data.shape for s in placed.addressable_shards} == {(4, 2)}
  np.testing.assert_array_equal(np.asarray(placed), np.asarray(kernel))
