"""Metric writers, progress line, parameter overview, FLOPs and device-hours.

Writers (process 0 only): TensorBoard event files, `metrics.jsonl` (one JSON
object per write, easy to grep and plot) and the log; other processes only
log. NOTE: clu's `metric_writers` and `periodic_actions` import TensorFlow,
which is not a runtime dependency, so the writers here are small local
classes (tensorboardX writes the event files); clu's parameter overview is
used as is. Files go through `etils.epath`, so a `gs://` workdir gets its
`metrics.jsonl` in the bucket (tensorboardX has its own `gs://` writer).
"""

import json
import logging
import math
import os
import time
from typing import Any, Mapping

from clu import parameter_overview
from etils import epath
import jax
import tensorboardX


class Writer:
  """Writes scalar metrics somewhere; subclasses override `write_scalars`."""

  def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
    raise NotImplementedError

  def flush(self) -> None:
    pass

  def close(self) -> None:
    self.flush()


class JsonlWriter(Writer):
  """Appends `{"step": s, "name": value, ...}` lines to a file."""

  def __init__(self, path: epath.PathLike):
    self._file = epath.Path(path).open("a")  # pylint: disable=consider-using-with

  def write_scalars(self, step, scalars):
    row = {"step": int(step)}
    row.update({k: float(v) for k, v in scalars.items()})
    self._file.write(json.dumps(row) + "\n")
    self._file.flush()

  def close(self):
    self._file.close()


class TensorBoardWriter(Writer):
  """Scalars to TensorBoard event files via tensorboardX (no TensorFlow)."""

  def __init__(self, logdir: str):
    self._writer = tensorboardX.SummaryWriter(logdir)

  def write_scalars(self, step, scalars):
    for name, value in scalars.items():
      self._writer.add_scalar(name, float(value), int(step))

  def flush(self):
    self._writer.flush()

  def close(self):
    self._writer.close()


class LoggingWriter(Writer):

  def write_scalars(self, step, scalars):
    logging.info(
        "step %d: %s",
        step,
        ", ".join(f"{k}={v:.6g}" for k, v in sorted(scalars.items())),
    )


class MultiWriter(Writer):

  def __init__(self, writers: list[Writer]):
    self._writers = writers

  def write_scalars(self, step, scalars):
    for writer in self._writers:
      writer.write_scalars(step, scalars)

  def flush(self):
    for writer in self._writers:
      writer.flush()

  def close(self):
    for writer in self._writers:
      writer.close()


def make_writer(workdir: str) -> Writer:
  """TensorBoard + JSONL + log on process 0; log only elsewhere."""
  writers: list[Writer] = [LoggingWriter()]
  if jax.process_index() == 0:
    root = epath.Path(workdir)
    root.mkdir(parents=True, exist_ok=True)
    writers += [
        TensorBoardWriter(os.fspath(root)),
        JsonlWriter(root / "metrics.jsonl"),
    ]
  return MultiWriter(writers)


def log_parameter_overview(params: Any, role: str) -> None:
  """Logs a table of parameter names, shapes and counts (at start)."""
  logging.info(
      "Parameters of role %r:\n%s",
      role,
      parameter_overview.get_parameter_overview(params, include_stats=False),
  )


class Progress:
  """A progress line with steps/s, the stage's ETA and the whole run's.

  The run's ETA assumes the remaining stages run at the current stage's rate
  (a later stage at a higher resolution is slower: the ETA is then early).
  """

  def __init__(
      self, stage: str, first_step: int, last_step: int, run_last_step: int
  ):
    self.stage = stage
    self.last_step = last_step
    self.run_last_step = run_last_step
    self._t0 = time.monotonic()
    self._step0 = first_step

  def rate(self, step: int) -> float:
    """Steps per second since the stage (or the resumed run) started."""
    elapsed = time.monotonic() - self._t0
    return (step - self._step0) / elapsed if elapsed > 0 else math.nan

  def line(self, step: int, scalars: Mapping[str, float]) -> str:
    rate = self.rate(step)
    shown = " ".join(
        f"{k}={v:.4g}"
        for k, v in sorted(scalars.items())
        if k != "steps_per_sec"
    )
    return (
        f"stage={self.stage} step={step}/{self.last_step} {shown} "
        f"steps_per_sec={rate:.2f} eta={_duration(self.last_step - step, rate)}"
        f" run_eta={_duration(self.run_last_step - step, rate)}"
    )


def _duration(steps: int, rate: float) -> str:
  """H:MM:SS for `steps` at `rate` steps/s ("?" before a rate is known)."""
  if not (rate and rate > 0 and math.isfinite(rate)):
    return "?"
  seconds = int(round(steps / rate))
  return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def compiled_flops(compiled: Any) -> float | None:
  """FLOPs per call from XLA's cost analysis of a compiled function."""
  try:
    analysis = compiled.cost_analysis()
  except Exception:  # pylint: disable=broad-except
    return None
  if isinstance(analysis, (list, tuple)):
    analysis = analysis[0] if analysis else {}
  flops = (analysis or {}).get("flops")
  return float(flops) if flops is not None and flops >= 0 else None


class DeviceHours:
  """Cumulative accelerator-hours: wall-clock time x the run's devices."""

  def __init__(self, devices: int, initial: float = 0.0):
    self.total = initial
    self._devices = devices
    self._t = time.monotonic()

  def tick(self) -> float:
    now = time.monotonic()
    self.total += (now - self._t) * self._devices / 3600.0
    self._t = now
    return self.total


class NonFiniteError(FloatingPointError):
  """Training produced NaN/Inf; raised before anything non-finite is saved."""


def check_finite(
    scalars: Mapping[str, float], step: int, last_checkpoint: int | None
) -> None:
  """Raises NonFiniteError naming the metrics that went NaN/Inf."""
  bad = sorted(k for k, v in scalars.items() if not math.isfinite(v))
  if bad:
    where = (
        f"the last good checkpoint is at step {last_checkpoint}"
        if last_checkpoint is not None
        else "no checkpoint was written"
    )
    raise NonFiniteError(
        f"Non-finite values in {bad} at or before step {step}; stopping "
        f"without saving ({where}). Lower the learning rate, enable gradient "
        "clipping (optim.grad_clip_norm) or check the input data."
    )
