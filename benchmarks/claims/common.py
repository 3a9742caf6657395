"""Statistics, claim lines and the JSON record shared by every claim module.

A claim compares arm `a` (the paper's method) with arm `b` (its baseline) on
one held-out metric over N paired seeds (both arms of a seed see the same
data). The effect is the mean paired difference a - b; its 95 % interval is
Student's t interval of the N differences (t quantile with N - 1 degrees of
freedom), and the claim holds only when the whole interval lies on the paper's
side of zero (above it for higher-is-better metrics, below it otherwise).
"""

import dataclasses
import json
import math
import os
import platform
import subprocess
from typing import Any, Sequence

import numpy as np
from scipy import stats


@dataclasses.dataclass(frozen=True)
class Claim:
  """One claim line: `name` on `metric`, `higher_is_better` names the
  paper's side of the paired difference a - b."""

  name: str
  metric: str
  higher_is_better: bool = True


@dataclasses.dataclass(frozen=True)
class Summary:
  """The statistics of one claim over its seeds."""

  claim: Claim
  a: tuple[float, ...]
  b: tuple[float, ...]
  effect: float
  ci95: tuple[float, float]
  holds: bool


def paired_t_interval(
    diffs: Sequence[float], level: float = 0.95
) -> tuple[float, float]:
  """Student-t interval of the mean of `diffs`; (nan, nan) below 2 values
  (one difference has no spread, so no interval)."""
  d = np.asarray(diffs, np.float64)
  if len(d) < 2:
    return (math.nan, math.nan)
  half = (
      stats.t.ppf(0.5 + level / 2, len(d) - 1)
      * d.std(ddof=1)
      / math.sqrt(len(d))
  )
  return (float(d.mean() - half), float(d.mean() + half))


def holds(ci95: tuple[float, float], higher_is_better: bool) -> bool:
  """True only when the whole interval is on the paper's side of zero."""
  lo, hi = ci95
  if math.isnan(lo) or math.isnan(hi):
    return False
  return lo > 0 if higher_is_better else hi < 0


def summarize(claim: Claim, a: Sequence[float], b: Sequence[float]) -> Summary:
  if len(a) != len(b) or not a:
    raise ValueError(
        f"{claim.name}: paired values need the same non-zero "
        f"count per arm, got {len(a)} and {len(b)}."
    )
  diffs = np.asarray(a, np.float64) - np.asarray(b, np.float64)
  ci = paired_t_interval(diffs)
  return Summary(
      claim,
      tuple(map(float, a)),
      tuple(map(float, b)),
      float(diffs.mean()),
      ci,
      holds(ci, claim.higher_is_better),
  )


def _mean_std(values: Sequence[float]) -> str:
  v = np.asarray(values, np.float64)
  std = v.std(ddof=1) if len(v) > 1 else 0.0
  return f"{v.mean():.4f}±{std:.4f}"


def line(summary: Summary) -> str:
  """`claim=<name> metric=<m> a=<mean±std> b=<mean±std> effect=<d>
  ci95=[lo,hi] holds=<true|false>` (std over seeds, ddof 1)."""
  lo, hi = summary.ci95
  return (
      f"claim={summary.claim.name} metric={summary.claim.metric} "
      f"a={_mean_std(summary.a)} b={_mean_std(summary.b)} "
      f"effect={summary.effect:+.4f} ci95=[{lo:+.4f},{hi:+.4f}] "
      f"holds={str(summary.holds).lower()}"
  )


def environment() -> dict[str, str]:
  """Versions (jax, flax, python) and the checkout's commit."""
  import flax  # pylint: disable=g-import-not-at-top
  import jax  # pylint: disable=g-import-not-at-top

  try:
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
  except (OSError, subprocess.CalledProcessError):
    commit = "unknown"
  return dict(
      jax=jax.__version__,
      flax=flax.__version__,
      python=platform.python_version(),
      commit=commit,
  )


def record(
    method: str,
    seeds: int,
    quick: bool,
    per_seed: list[dict[str, Any]],
    summaries: Sequence[Summary],
    wall_s: float,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
  """The JSON record of one run: per-seed values, statistics, environment
  (`env`: `environment()` taken when the run started; default now)."""
  return dict(
      method=method,
      seeds=seeds,
      quick=quick,
      wall_s=round(wall_s, 1),
      environment=env or environment(),
      per_seed=per_seed,
      claims=[
          dict(
              claim=s.claim.name,
              metric=s.claim.metric,
              higher_is_better=s.claim.higher_is_better,
              a=list(s.a),
              b=list(s.b),
              effect=s.effect,
              ci95=list(s.ci95),
              holds=s.holds,
              line=line(s),
          )
          for s in summaries
      ],
  )


def write_json(path: str, data: dict[str, Any]) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "w") as f:
    json.dump(data, f, indent=1, allow_nan=True)
