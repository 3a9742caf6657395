"""Slice names -> topologies, and the HLO collective reader (no libtpu)."""

import pytest

from jaxvision.tpu import chips
from jaxvision.tpu import hlo


@pytest.mark.parametrize(
    "name,topology,devices",
    [
        ("v3-8", "v3:2x2", 8),
        ("v3-32", "v3:4x4", 32),
        ("v3-256", "v3:8x16", 256),
        ("v4-8", "v4:2x2x1", 4),
        ("v4-32", "v4:2x2x4", 16),
        ("v4-64", "v4:2x4x4", 32),
        ("v5e-16", "v5e:4x4", 16),
        ("v5litepod-4", "v5e:2x2", 4),
        ("v5p-8", "v5p:2x2x1", 4),
        ("v5p-128", "v5p:4x4x4", 64),
        ("v6e-64", "v6e:8x8", 64),
        ("v3:4x4", "v3:4x4", 32),
        ("v4:2x2x4", "v4:2x2x4", 16),
    ],
)
def test_slice_names_resolve_to_topologies(name, topology, devices):
  resolved = chips.resolve(name)
  assert resolved.topology == topology
  assert resolved.devices == devices


def test_v4_asks_for_megacore_devices():
  assert dict(chips.resolve("v4-8").topology_kwargs) == {
      "chip_config_name": "megacore"
  }
  assert chips.resolve("v3-8").topology_kwargs == ()


def test_slices_smaller_than_a_host_name_their_host_bounds():
  assert dict(chips.resolve("v5e-1").topology_kwargs) == {
      "chips_per_host_bounds": (1, 1, 1)
  }
  assert dict(chips.resolve("v5e-2").topology_kwargs) == {
      "chips_per_host_bounds": (1, 2, 1)
  }


def test_per_device_figures_split_a_v3_chip_in_two():
  v3 = chips.CHIPS["v3"]
  assert v3.per_device(v3.hbm_bytes) == 16 * chips.GiB
  assert chips.CHIPS["v5p"].per_device(95e9) == 95e9


@pytest.mark.parametrize(
    "name,message",
    [
        ("v9-8", "unknown TPU generation"),
        ("v3-7", "TensorCores"),
        ("v5e-12", "power of two"),
        ("tpu", "cannot read TPU slice"),
    ],
)
def test_bad_slice_names_are_clear_errors(name, message):
  with pytest.raises(chips.TopologyError, match=message):
    chips.resolve(name)


HLO = """
  %all-reduce = f32[1024,1024]{1,0:T(8,128)} all-reduce(%fusion), channel_id=1
  %ag = (bf16[64,128]{1,0}, bf16[512,128]{1,0}) all-gather-start(%p), dims={0}
  %agd = bf16[512,128]{1,0} all-gather-done(%ag)
  %rs = f32[128]{0} reduce-scatter(%x), dimensions={0}
  %fusion = f32[8]{0} fusion(%all-reduce), kind=kLoop
"""


def test_collectives_count_async_pairs_once_with_their_largest_buffer():
  stats = hlo.collectives(HLO)
  assert stats["all-reduce"] == {"count": 1, "bytes": 1024 * 1024 * 4}
  assert stats["all-gather"] == {"count": 1, "bytes": 512 * 128 * 2}
  assert stats["reduce-scatter"] == {"count": 1, "bytes": 128 * 4}
  assert (
      stats["all-to-all"]["count"] == stats["collective-permute"]["count"] == 0
  )
  shapes = [shapes for kind, shapes, _ in hlo.collective_ops(HLO)]
  assert shapes[1] == [(64, 128), (512, 128)]
