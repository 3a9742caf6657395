"""The shared timing protocol: warm every arm up, then alternate the arms.

Alternating (rather than timing one arm after the other) spreads slow drifts
of the machine (thermal, other load) over all arms, so the ratios of their
medians measured in one process are what the benchmarks report.
"""

import json
import platform
import statistics
import time
from typing import Any, Callable, Mapping

import jax


def alternate(
    arms: Mapping[Any, Callable[[], Any]], rounds: int, warmup: int = 2
) -> dict[Any, list[float]]:
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


def summarize(times: Mapping[Any, list[float]]) -> dict[Any, dict[str, float]]:
  """{arm: {"median_s", "min_s"}} of `alternate`'s times; prints one
  `arm=<name> median_s=.. min_s=..` line per arm."""
  arms = {}
  for name, seconds in times.items():
    arms[name] = {"median_s": statistics.median(seconds), "min_s": min(seconds)}
    print(
        f"arm={name} median_s={arms[name]['median_s']:.4f} "
        f"min_s={arms[name]['min_s']:.4f}"
    )
  return arms


def environment() -> dict[str, Any]:
  """Where the numbers come from, stored with every result."""
  return {
      "backend": jax.default_backend(),
      "devices": jax.device_count(),
      "jax": jax.__version__,
      "python": platform.python_version(),
  }


def write(result: dict[str, Any], path: str) -> None:
  with open(path, "w", encoding="utf-8") as f:
    json.dump(result, f, indent=1)
  print(f"wrote={path}")
