"""Collectives in an optimized HLO module: count and bytes per kind.

Reads `compiled.as_text()`: every instruction whose op is a collective
(synchronous, or the `-start` half of an async pair; `-done` halves are not
counted twice) contributes its result's bytes. For async starts the result is
a tuple holding operand and result buffers (and on TPU scratch), so the
largest array of the tuple is taken as the transferred size. A collective
inside a loop body (`nn.scan` over layers) is counted once, not once per
iteration: the counts say which collectives the program has, the bytes are
those of one execution of each instruction.
"""

import math
import re

KINDS = (
    "all-gather",
    "reduce-scatter",
    "all-reduce",
    "all-to-all",
    "collective-permute",
)
DTYPE_BYTES = {
    "pred": 1,
    "s8": 1,
    "u8": 1,
    "s16": 2,
    "u16": 2,
    "f16": 2,
    "bf16": 2,
    "s32": 4,
    "u32": 4,
    "f32": 4,
    "s64": 8,
    "u64": 8,
    "f64": 8,
    "c64": 8,
    "c128": 16,
    "f8e4m3fn": 1,
    "f8e5m2": 1,
    "s4": 0.5,
    "u4": 0.5,
}

_INSTRUCTION = re.compile(
    r"=\s*(?P<type>\(.*?\)|[a-z0-9]+\[[0-9,]*\][^ ]*)\s+"
    r"(?P<op>" + "|".join(KINDS) + r")(?P<start>-start)?\("
)
_ARRAY = re.compile(r"([a-z][a-z0-9]*)\[([0-9,]*)\]")


def _array_bytes(dtype: str, dims: str) -> float:
  shape = [int(d) for d in dims.split(",") if d]
  return DTYPE_BYTES.get(dtype, 4) * math.prod(shape)


def collective_ops(
    hlo_text: str,
) -> list[tuple[str, list[tuple[int, ...]], float]]:
  """(kind, array shapes of its result, bytes) per collective instruction."""
  ops = []
  for line in hlo_text.splitlines():
    match = _INSTRUCTION.search(line)
    if not match:
      continue
    arrays = _ARRAY.findall(match["type"])
    shapes = [tuple(int(d) for d in dims.split(",") if d) for _, dims in arrays]
    sizes = [_array_bytes(d, s) for d, s in arrays]
    ops.append((match["op"], shapes, max(sizes, default=0.0)))
  return ops


def tally(ops) -> dict[str, dict[str, float]]:
  """{kind: {"count": n, "bytes": b}} for every kind in `KINDS`, from
  `collective_ops`' list."""
  stats = {kind: {"count": 0, "bytes": 0.0} for kind in KINDS}
  for kind, _, size in ops:
    stats[kind]["count"] += 1
    stats[kind]["bytes"] += size
  return stats


def collectives(hlo_text: str) -> dict[str, dict[str, float]]:
  """`tally` of an HLO module's collectives."""
  return tally(collective_ops(hlo_text))
