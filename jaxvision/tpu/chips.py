"""TPU generations and slice names, for compiling without a TPU.

A slice is named as Cloud TPU names accelerator types (`v3-8`, `v3-256`,
`v4-32`, `v5e-16` / `v5litepod-16`, `v5p-128`, `v6e-64`) or as a topology
string (`v3:4x4`, `v4:2x2x4`). `resolve` turns either into what
`jax.experimental.topologies.get_topology_desc` takes, plus the chip figures
the roofline estimate needs.

Counting: the number in `v3-N`, `v4-N` and `v5p-N` is TensorCores (2 per
chip); in `v5e-N` and `v6e-N` it is chips (1 TensorCore each). A v3 core is
one JAX device; v4 and v5p run "megacore" (both cores of a chip are one JAX
device), so their device count is the chip count.

Chip figures (per chip, public Cloud TPU system-architecture pages,
cloud.google.com/tpu/docs/{v3,v4,v5e,v5p,v6e}, read 2026-12):
  v3:  123 TFLOP/s bf16, 32 GiB HBM2 at 900 GB/s, 2 cores per chip; ICI is
       given per pod only (all-reduce 340 TB/s over 1024 chips), so the
       per-chip figure here (332 GB/s) is that quotient.
  v4:  275 TFLOP/s bf16, 32 GiB HBM2 at 1200 GB/s; ICI per chip is derived
       the same way (all-reduce 1.1 PB/s over 4096 chips: 268 GB/s).
  v5e: 197 TFLOP/s bf16, 16 GB HBM2 at 819 GB/s, ICI 400 GB/s
       (bidirectional, per chip).
  v5p: 459 TFLOP/s bf16, 95 GB HBM2e at 2765 GB/s, ICI 1200 GB/s
       (bidirectional, per chip).
  v6e: 918 TFLOP/s bf16, 32 GB HBM at 1640 GB/s, ICI 3584 Gbit/s = 448 GB/s.
"""

import dataclasses
import math
import re

from jaxvision import user_errors

GiB = 2**30


@dataclasses.dataclass(frozen=True)
class Chip:
  """One TPU generation's per-chip figures."""

  generation: str
  peak_bf16_flops: float  # FLOP/s per chip
  hbm_bytes: float  # per chip
  hbm_bandwidth: float  # bytes/s per chip
  ici_bandwidth: float  # bytes/s per chip (see the module docstring)
  cores_per_chip: int
  devices_per_chip: int  # JAX devices per chip (1 with megacore)
  counts_cores: bool  # `vX-N` counts TensorCores (else chips)
  dims: int  # 2-D or 3-D torus/mesh

  def per_device(self, value: float) -> float:
    return value / self.devices_per_chip


CHIPS = {
    "v3": Chip("v3", 123e12, 32 * GiB, 900e9, 340e12 / 1024, 2, 2, True, 2),
    "v4": Chip("v4", 275e12, 32 * GiB, 1200e9, 1.1e15 / 4096, 2, 1, True, 3),
    "v5e": Chip("v5e", 197e12, 16e9, 819e9, 400e9, 1, 1, False, 2),
    "v5p": Chip("v5p", 459e12, 95e9, 2765e9, 1200e9, 2, 1, True, 3),
    "v6e": Chip("v6e", 918e12, 32e9, 1640e9, 448e9, 1, 1, False, 2),
}
ALIASES = {"v5litepod": "v5e", "v5lite": "v5e", "v6": "v6e", "trillium": "v6e"}


class TopologyError(user_errors.InputError, ValueError):
  """A slice or topology name that names no TPU slice."""


@dataclasses.dataclass(frozen=True)
class Slice:
  """A resolved slice: what to ask libtpu for, and its chip."""

  name: str  # as given
  topology: str  # e.g. "v3:4x4"
  chip: Chip
  shape: tuple[int, ...]  # chips per torus dimension
  topology_kwargs: tuple[tuple[str, str], ...] = ()

  @property
  def chips(self) -> int:
    return math.prod(self.shape)

  @property
  def devices(self) -> int:
    return self.chips * self.chip.devices_per_chip


def _chip(generation: str, name: str) -> Chip:
  generation = ALIASES.get(generation.lower(), generation.lower())
  if generation not in CHIPS:
    raise TopologyError(
        f"unknown TPU generation {generation!r} in {name!r}; known: "
        f"{sorted(CHIPS)} (and {sorted(ALIASES)})"
    )
  return CHIPS[generation]


def _shape(chips: int, dims: int, name: str) -> tuple[int, ...]:
  """The usual slice shape of `chips` chips: near-square powers of two."""
  if chips < 1 or chips & (chips - 1):
    raise TopologyError(
        f"{name!r}: {chips} chips is not a power of two; "
        "give a topology string such as v4:2x2x3 instead"
    )
  shape = [1] * dims
  while math.prod(shape) < chips:
    shape[shape.index(min(shape))] *= 2
  shape.sort()
  if dims == 3 and shape[0] == 1:
    shape = shape[1:] + [1]  # 2x2x1, as Cloud TPU writes the smallest v4/v5p
  return tuple(shape)


def resolve(name: str) -> Slice:
  """A `Slice` for `v3-256`-style names or `v3:16x8`-style topologies."""
  text = name.strip()
  match = re.fullmatch(r"(?:TPU )?([A-Za-z0-9]+?):(\d+(?:x\d+)+)", text)
  if match:
    chip = _chip(match.group(1), name)
    shape = tuple(int(d) for d in match.group(2).split("x"))
  else:
    match = re.fullmatch(r"([A-Za-z0-9]+?)-(\d+)", text)
    if not match:
      raise TopologyError(
          f"cannot read TPU slice {name!r}; give a slice name such as v3-8, "
          "v3-256, v4-32, v5e-16, v5p-128, v6e-64, or a topology such as "
          "v3:4x4 or v4:2x2x4"
      )
    chip = _chip(match.group(1), name)
    count = int(match.group(2))
    if chip.counts_cores:
      if count % chip.cores_per_chip:
        raise TopologyError(
            f"{name!r}: {chip.generation} slices count "
            f"TensorCores, {chip.cores_per_chip} per chip"
        )
      count //= chip.cores_per_chip
    shape = _shape(count, chip.dims, name)
  kwargs = ()
  if chip.generation == "v4":
    # NOTE: libtpu describes v4 with one device per core unless asked for
    # megacore, which is how v4 runs (and what jax.make_mesh requires).
    kwargs = (("chip_config_name", "megacore"),)
  if math.prod(shape) < 4:
    # NOTE: libtpu's default host is 2x2 chips; a smaller slice (v5e-1) is
    # one host of its own shape.
    bounds = tuple(shape) + (1,) * (3 - len(shape))
    kwargs += (("chips_per_host_bounds", bounds),)
  return Slice(
      name=name,
      topology=f"{chip.generation}:" + "x".join(map(str, shape)),
      chip=chip,
      shape=shape,
      topology_kwargs=kwargs,
  )
