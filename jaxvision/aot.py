"""`aot`: compile every stage of a config for a TPU slice, with no TPU.

libtpu (the `tpu` extra) describes a TPU topology on any machine
(`jax.experimental.topologies`), and XLA compiles for it ahead of time. This
command compiles, per stage, THE engine train step (`train.jit_train_step`:
the trainer's function, shardings, donation and mesh rules) on abstract
inputs of the stage's global batch, and the stage's evaluation forward(s)
(`Method.eval_fns`), then reports from the compiled programs:

- memory per device (`memory_analysis`): arguments, outputs, aliased
  (donated) bytes, temporaries, and the peak estimate arguments + outputs -
  aliased + temporaries + generated code, against the chip's HBM;
- XLA's FLOPs and bytes accessed per device per step (`cost_analysis`);
- the collectives of the optimized HLO (`jaxvision/tpu/hlo.py`);
- a roofline step time, max(FLOPs / peak FLOP/s, bytes / HBM bandwidth,
  collective bytes / ICI bandwidth), from the chip table
  (`jaxvision/tpu/chips.py`), and the FLOP utilisation it implies. These two
  are estimates: they assume perfect overlap and peak rates, and XLA's FLOPs
  include rematerialised recompute (so `mfu_est` is a hardware-FLOP figure).

A stage that does not fit, including XLA's own RESOURCE_EXHAUSTED at compile
time (caught, not raised), prints `fits=false` with its largest buffers, and
the command exits 1.
"""

import dataclasses
import importlib.util
import json
import math
import os
import re
import time
from typing import Any

import jax
import ml_collections

from jaxvision import methods
from jaxvision import user_errors
from jaxvision.core import method as method_lib
from jaxvision.core import sharding
from jaxvision.core import train as train_lib
from jaxvision.tpu import chips
from jaxvision.tpu import hlo

GiB = 2**30


class AotError(user_errors.InputError, ValueError):
  """The compile cannot be set up (no libtpu, no target, bad batch)."""


def topology_devices(slice_: chips.Slice) -> list[Any]:
  """The compile-only devices of a slice (needs libtpu, not a TPU)."""
  if importlib.util.find_spec("libtpu") is None:
    raise AotError(
        "libtpu is not installed (jaxvision.aot); it compiles for TPU "
        "without one: pip install -e '.[tpu]' (or pip install "
        f"'jax[tpu]=={jax.__version__}')"
    )
  # NOTE: libtpu takes a machine-wide lock file unless told that several
  # processes may load it; compiling without a TPU needs no exclusive access
  # (two test workers, or a sweep of `aot` runs, compile side by side).
  os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")
  from jax.experimental import topologies  # pylint: disable=g-import-not-at-top

  topology = topologies.get_topology_desc(
      topology_name=slice_.topology,
      platform="tpu",
      **dict(slice_.topology_kwargs),
  )
  return list(topology.devices)


def target_slice(
    config: ml_collections.ConfigDict, topology: str | None
) -> chips.Slice:
  """`--topology`, else the config's `target.topology`."""
  if topology:
    return chips.resolve(topology)
  target = config.get("target", None)
  if not target or not target.get("topology", ""):
    raise AotError(
        "the config names no target slice (config.target.topology); pass "
        "--topology v3-8 (or another slice) or set --config.target.topology"
    )
  return chips.resolve(target.topology)


@dataclasses.dataclass
class Report:
  """One compiled program's figures (per device unless named global)."""

  name: str
  fits: bool
  devices: int
  mesh: str
  global_batch: int
  per_device_batch: int
  hbm_gib: float
  compile_s: float
  arguments_gib: float = math.nan
  outputs_gib: float = math.nan
  aliased_gib: float = math.nan
  temporaries_gib: float = math.nan
  peak_gib: float = math.nan
  headroom_gib: float = math.nan
  gflops_per_device: float = math.nan
  gbytes_accessed_per_device: float = math.nan
  step_time_est_s: float = math.nan
  mfu_est: float = math.nan
  collectives: dict[str, dict[str, float]] = dataclasses.field(
      default_factory=dict
  )
  # Collectives whose result has the global shape of a (>= 2-D) parameter:
  # FSDP gathers params for compute; pure data parallelism never should.
  param_all_gathers: int = 0
  param_all_reduces: int = 0
  largest_buffers: list[str] = dataclasses.field(default_factory=list)
  error: str = ""

  def lines(self) -> list[str]:
    """`name=value` detail lines, then the summary line."""
    out = []
    for key, value in dataclasses.asdict(self).items():
      if key in ("name", "collectives", "largest_buffers", "error"):
        continue
      out.append(f"{self.name}/{key}={_fmt(value)}")
    for kind, stats in self.collectives.items():
      if not stats["count"]:
        continue
      out.append(f"{self.name}/{kind}_count={int(stats['count'])}")
      out.append(f"{self.name}/{kind}_gib={_fmt(stats['bytes'] / GiB)}")
    if not any(s["count"] for s in self.collectives.values()):
      out.append(f"{self.name}/collectives=none")
    for i, buffer in enumerate(self.largest_buffers):
      out.append(f"{self.name}/largest_buffer_{i}={buffer}")
    if self.error:
      out.append(f"{self.name}/error={self.error}")
    out.append(
        f"{_summary_key(self.name)} devices={self.devices} "
        f"peak_gib={_fmt(self.peak_gib)} hbm_gib={_fmt(self.hbm_gib)} "
        f"fits={str(self.fits).lower()} "
        f"gflops_per_device={_fmt(self.gflops_per_device)} "
        f"step_time_est_s={_fmt(self.step_time_est_s)} "
        f"mfu_est={_fmt(self.mfu_est)} compile_s={self.compile_s:.1f}"
    )
    return out


def _summary_key(name: str) -> str:
  stage, _, program = name.partition("/")
  return f"stage={stage}" + (f" program={program}" if program else "")


def _fmt(value: Any) -> str:
  if isinstance(value, bool):
    return str(value).lower()
  if isinstance(value, float):
    return f"{value:.4g}"
  return str(value)


def _cost(compiled) -> dict[str, float]:
  cost = compiled.cost_analysis()
  if isinstance(cost, (list, tuple)):  # older jax: one dict per program
    cost = cost[0] if cost else {}
  return dict(cost or {})


def _resource_exhausted(error: Exception) -> bool:
  return "RESOURCE_EXHAUSTED" in str(error)


def _exhausted_summary(error: Exception) -> tuple[str, list[str]]:
  """XLA's one-line reason and the allocations it lists as largest."""
  text = str(error)
  reason = next(
      (
          line.strip()
          for line in text.splitlines()
          if "RESOURCE_EXHAUSTED" in line
      ),
      text.splitlines()[0],
  )
  buffers = [
      re.sub(r"\s+", " ", line.strip())
      for line in text.splitlines()
      if re.match(r"\s*\d+\.\s+Size: ", line)
  ]
  return reason[:400], buffers[:5]


def _largest_arguments(tree: Any, shardings: Any, count: int = 5) -> list[str]:
  """The largest per-device argument shards, `path shape dtype GiB`."""
  entries = []

  def visit(path, leaf, leaf_sharding):
    shape = leaf_sharding.shard_shape(tuple(leaf.shape))
    size = math.prod(shape) * jax.numpy.dtype(leaf.dtype).itemsize
    entries.append(
        (
            size,
            f"{sharding.path_name(path)}:"
            f"{leaf.dtype}{list(shape)}:{size / GiB:.3g}GiB",
        )
    )

  jax.tree_util.tree_map_with_path(visit, tree, shardings)
  return [text for _, text in sorted(entries, reverse=True)[:count]]


def _analyse(
    report: Report,
    compiled,
    slice_: chips.Slice,
    param_shapes: set[tuple[int, ...]],
) -> None:
  memory = compiled.memory_analysis()
  chip = slice_.chip
  report.arguments_gib = memory.argument_size_in_bytes / GiB
  report.outputs_gib = memory.output_size_in_bytes / GiB
  report.aliased_gib = memory.alias_size_in_bytes / GiB
  report.temporaries_gib = memory.temp_size_in_bytes / GiB
  report.peak_gib = (
      memory.argument_size_in_bytes
      + memory.output_size_in_bytes
      - memory.alias_size_in_bytes
      + memory.temp_size_in_bytes
      + memory.generated_code_size_in_bytes
  ) / GiB
  report.headroom_gib = report.hbm_gib - report.peak_gib
  report.fits = report.peak_gib <= report.hbm_gib
  cost = _cost(compiled)
  flops = float(cost.get("flops", math.nan))
  accessed = float(cost.get("bytes accessed", math.nan))
  report.gflops_per_device = flops / 1e9
  report.gbytes_accessed_per_device = accessed / 1e9
  ops = hlo.collective_ops(compiled.as_text())
  report.collectives = hlo.tally(ops)
  for kind, shapes, _ in ops:
    shaped = any(shape in param_shapes for shape in shapes)
    report.param_all_gathers += shaped and kind == "all-gather"
    report.param_all_reduces += shaped and kind == "all-reduce"
  moved = sum(s["bytes"] for s in report.collectives.values())
  times = (
      flops / chip.per_device(chip.peak_bf16_flops),
      accessed / chip.per_device(chip.hbm_bandwidth),
      moved / chip.per_device(chip.ici_bandwidth),
  )
  report.step_time_est_s = max(times)
  if report.step_time_est_s > 0:
    report.mfu_est = times[0] / report.step_time_est_s


def _compile(report: Report, lower, slice_: chips.Slice, args, shardings):
  """Compiles `lower()`; fills `report` (a RESOURCE_EXHAUSTED -> fits=false).

  `args` / `shardings`: the programs's parameter-like arguments (their
  shapes identify parameter collectives; their shards are the buffers named
  when the program does not fit).
  """
  start = time.monotonic()
  try:
    compiled = lower().compile()
  except Exception as e:  # pylint: disable=broad-except
    if not _resource_exhausted(e):
      raise
    report.compile_s = time.monotonic() - start
    report.fits = False
    report.error, report.largest_buffers = _exhausted_summary(e)
    if not report.largest_buffers:
      report.largest_buffers = _largest_arguments(args, shardings)
    return
  report.compile_s = time.monotonic() - start
  param_shapes = {
      tuple(x.shape) for x in jax.tree.leaves(args) if len(x.shape) >= 2
  }
  _analyse(report, compiled, slice_, param_shapes)
  if not report.fits:
    report.largest_buffers = _largest_arguments(args, shardings)


def compile_stage(
    method: method_lib.Method, ctx: method_lib.StageContext, slice_: chips.Slice
) -> list[Report]:
  """Reports for a stage's train step and its evaluation forward(s)."""
  mesh = ctx.mesh
  shards = sharding.batch_shards(mesh)
  common = dict(
      devices=mesh.devices.size,
      mesh="x".join(str(mesh.shape[a]) for a in sharding.AXES),
      hbm_gib=slice_.chip.per_device(slice_.chip.hbm_bytes) / GiB,
  )
  if method.abstract_batch is None:
    raise AotError(
        f"method {method.name!r} defines no abstract_batch, so its "
        "train step cannot be compiled without data"
    )
  train_lib.check_batch_size(ctx)  # the trainer's own check
  batch = method.abstract_batch(ctx)
  global_batch = ctx.stage.batch_size
  build = train_lib.build_stage(method, ctx)
  state = build.abstract.replace(frozen={})
  frozen = build.abstract.frozen
  report = Report(
      name=ctx.stage.name,
      fits=False,
      global_batch=global_batch,
      per_device_batch=global_batch // shards,
      compile_s=0.0,
      **common,
  )
  jitted = train_lib.jit_train_step(build)
  _compile(
      report,
      lambda: jitted.lower(state, frozen, batch),
      slice_,
      (state, frozen),
      (build.shardings.replace(frozen={}), build.shardings.frozen),
  )
  reports = [report]
  if method.eval_fns is None:
    return reports
  eval_cfg = ctx.config.get("eval", None) or {}
  eval_batch = (
      ctx.config.get("eval_batch_size", 0)
      or eval_cfg.get("batch_size", 0)
      or global_batch
  )
  eval_batch = -(-eval_batch // shards) * shards
  rules = sharding.default_rules(ctx.config)
  for name, (fn, params, inputs) in method.eval_fns(ctx, eval_batch).items():
    param_shardings = sharding.tree_shardings(params, rules, mesh)
    input_shardings = jax.tree.map(
        lambda _: sharding.batch_sharding(mesh), inputs
    )
    jitted = jax.jit(
        lambda p, x, fn=fn: fn(*p, *x),
        in_shardings=(param_shardings, input_shardings),
    )
    program = Report(
        name=f"{ctx.stage.name}/{name}",
        fits=False,
        global_batch=eval_batch,
        per_device_batch=eval_batch // shards,
        compile_s=0.0,
        **common,
    )
    _compile(
        program,
        lambda j=jitted, p=params, x=inputs: j.lower(p, x),
        slice_,
        params,
        param_shardings,
    )
    reports.append(program)
  return reports


def knobs(config: ml_collections.ConfigDict) -> dict[str, Any]:
  """The program knobs a config sets (for the docs/tpu.md table)."""
  model = config.get("model", None) or {}
  found = {
      k: model[k] for k in ("dtype", "remat", "scan", "attention") if k in model
  }
  for stage in config.stages:
    if stage.get("remat", ""):
      found[f"{stage.name}.remat"] = stage.remat
  unet = (config.get("ldm", None) or {}).get("unet", None) or {}
  found.update(
      {f"unet.{k}": unet[k] for k in ("remat", "attention") if k in unet}
  )
  found["mesh"] = dict(config.get("mesh", None) or {})
  return found


def run(
    config: ml_collections.ConfigDict, topology: str | None = None
) -> list[Report]:
  """Compiles every stage of `config` for a slice; returns the reports."""
  slice_ = target_slice(config, topology)
  devices = topology_devices(slice_)
  mesh = sharding.make_mesh(config.get("mesh", None), devices)
  method = methods.get(config.method)
  reports = []
  for ctx in method_lib.stage_contexts(config, mesh):
    reports.extend(compile_stage(method, ctx, slice_))
  return reports


def command(
    config: ml_collections.ConfigDict,
    topology: str | None = None,
    json_path: str | None = None,
) -> int:
  """The CLI's `aot`: prints each program's lines; 1 when one does not fit."""
  slice_ = target_slice(config, topology)
  print(
      f"topology={slice_.topology} slice={slice_.name} "
      f"chip={slice_.chip.generation} devices={slice_.devices}",
      flush=True,
  )
  reports = run(config, topology)
  for report in reports:
    for line in report.lines():
      print(line, flush=True)
  if json_path:
    from etils import epath  # pylint: disable=g-import-not-at-top

    epath.Path(json_path).write_text(
        json.dumps(
            {
                "topology": slice_.topology,
                "slice": slice_.name,
                "chip": slice_.chip.generation,
                "knobs": knobs(config),
                "programs": [dataclasses.asdict(r) for r in reports],
            },
            indent=1,
        )
    )
  return 0 if all(r.fits for r in reports) else 1
