"""The shared timing protocol: warm every arm up, then alternate the arms.

Alternating (rather than timing one arm after the other) spreads slow drifts
of the machine (thermal, other load) over all arms, so the ratios of their
medians measured in one process are what the benchmarks report.
"""

import json
import platform
import time
from typing import Any, Callable, Mapping

import jax


def alternate(arms: Mapping[Any, Callable[[], Any]], rounds: int,
              warmup: int = 2) -> dict[Any, list[float]]:
  """Seconds per call of every arm: `warmup` untimed passes, then `rounds`
  rounds that call each arm once in turn."""
  for _ in range(warmup):
    for run in arms.values():
      run()
  times = {name: [] for name in arms}
  for _ in range(rounds):
    for name, run in arms.items():
      start = time.perf_counter()
      run()
      times[name].append(time.perf_counter() - start)
  return times


def environment() -> dict[str, Any]:
  """Where the numbers come from, stored with every result."""
  return {"backend": jax.default_backend(), "devices": jax.device_count(),
          "jax": jax.__version__, "python": platform.python_version()}


def write(result: dict[str, Any], path: str) -> None:
  with open(path, "w", encoding="utf-8") as f:
    json.dump(result, f, indent=1)
  print(f"wrote={path}")
