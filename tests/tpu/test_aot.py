"""Deviceless TPU compiles (libtpu, no TPU) of reduced paper configs.

Reduced-depth / width versions of the RECLIP two-tower, the SD UNet +
LD-ZNet and the AKD GAN compile through `aot` (THE engine train step and the
evaluation forwards) for v3-8 with pure data parallelism and for v3-32 with
a 4 x 8 data x fsdp mesh. Checked: every program fits; data parallelism
all-reduces the gradients and never gathers a parameter; FSDP gathers
parameters for compute and keeps a fraction of the per-device argument
bytes; the XLA FLOPs of the RECLIP step are 3 x 2 x the `flops` command's
GMACs x the per-device batch; and the parameter shardings of the FSDP rules
match a golden snapshot (so a rule that silently stops matching fails here).

NOTE: XLA for TPU (libtpu 0.0.42) reduces FSDP gradients with all-reduces
over the fsdp groups (or all-to-alls), not with reduce-scatter instructions,
at these sizes and at RECLIP's real ones (docs/tpu.md); the tests assert the
reductions exist, not their instruction name.
"""

import json
import os
import pathlib

import jax
import pytest

from jaxvision import aot
from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import method as method_lib
from jaxvision.core import metrics
from jaxvision.core import sharding
from jaxvision.core import train as train_lib
from jaxvision.tpu import chips

GOLDEN = pathlib.Path(__file__).parent / "golden"

# RECLIP at its real widths (ViT-L/16, 1024-wide text), 2 layers per tower:
# at these widths the FLOPs are the matmuls' (the FLOP test's premise). 16
# examples per v3-8 device: the FLOP test reads the data-parallel compile.
RECLIP = (
    "configs/reclip/reclip.py:size=64,no_finetune",
    [
        "model.image.depth=2",
        "model.text.depth=2",
        "stages.0.batch_size=128",
        "eval_batch_size=64",
    ],
)
AKD = (
    "configs/akd/celeba.py:teacher",
    [
        "data.image_size=32",
        "model.G.conv_dim=16",
        "model.G.repeat_num=2",
        "model.D.conv_dim=16",
        "model.D.repeat_num=2",
        "stages.0.batch_size=64",
        "stages.1.batch_size=64",
        "eval.batch_size=64",
    ],
)
LDZNET = (
    "configs/ldznet/ldznet.py",
    [
        "ldm.unet.model_channels=32",
        "ldm.unet.context_dim=64",
        "ldm.unet.channel_mult=(1,2)",
        "ldm.unet.attention_levels=(0,1)",
        "ldm.unet.num_res_blocks=1",
        "ldm.blocks=(6,)",
        "ldm.text.hidden_size=64",
        "ldm.text.num_hidden_layers=1",
        "ldm.text.num_attention_heads=2",
        "ldm.text.intermediate_size=128",
        "ldm.vae.ch=32",
        "ldm.vae.ch_mult=(1,2)",
        "ldm.vae.num_res_blocks=1",
        "ldm.image_size=64",
        "data.image_size=64",
        "stages.0.batch_size=32",
        "eval.batch_size=32",
    ],
)
MODELS = {"reclip": RECLIP, "akd": AKD, "ldznet": LDZNET}
# LD-ZNet's compiles are the slowest: they run in test_aot_ldznet.py, so
# pytest-xdist runs them beside these.
HERE = ("akd", "reclip")
DP = dict(data=-1, fsdp=1, tensor=1)
FSDP = dict(data=4, fsdp=8, tensor=1)


def _config(model: str, mesh=None):
  path, overrides = MODELS[model]
  config = config_lib.load_config(path, overrides)
  config.stages = config.stages[:1]  # AKD's two stages compile alike
  config.mesh = mesh or DP
  return config


_REPORTS = {}


def _reports(model: str, topology: str, mesh=None) -> list[aot.Report]:
  key = (model, topology, str(mesh))
  if key not in _REPORTS:
    _REPORTS[key] = aot.run(_config(model, mesh), topology)
  return _REPORTS[key]


@pytest.mark.parametrize("model", HERE)
def test_data_parallel_fits_all_reduces_grads_gathers_no_params(model):
  reports = _reports(model, "v3-8")
  assert all(r.fits for r in reports), [(r.name, r.error) for r in reports]
  step = reports[0]
  assert step.devices == 8 and step.mesh == "8x1x1"
  assert step.per_device_batch * 8 == step.global_batch
  assert 0 < step.peak_gib < step.hbm_gib == 16
  assert step.gflops_per_device > 0 and step.step_time_est_s > 0
  assert step.collectives["all-reduce"]["count"] > 0
  assert step.param_all_reduces > 0  # the gradients
  assert step.param_all_gathers == 0
  assert len(reports) >= 2  # the stage's evaluation forward(s) too


@pytest.mark.parametrize("model", HERE)
def test_fsdp_gathers_params_and_shards_their_bytes(model):
  dp = _reports(model, "v3-8")[0]
  reports = _reports(model, "v3-32", FSDP)
  assert all(r.fits for r in reports), [(r.name, r.error) for r in reports]
  step = reports[0]
  assert step.mesh == "4x8x1"
  assert step.param_all_gathers > 0
  reductions = sum(
      step.collectives[k]["count"]
      for k in ("reduce-scatter", "all-reduce", "all-to-all")
  )
  assert reductions > 0
  # Params and optimizer state are split over 8 fsdp devices.
  assert step.arguments_gib < dp.arguments_gib / 3


def test_reclip_step_flops_match_the_flops_command():
  """XLA's step FLOPs = forward + backward (3 x 2 x GMACs) x batch, within 5%.

  What is not a matmul (the optimizer's update, the loss) costs a fixed
  amount per device and step, ~1% of the real 24-layer step (docs/tpu.md);
  with 2 layers it weighs more, so this compile uses 16 examples per device
  (the data-parallel test's compile, `RECLIP`).
  """
  config = _config("reclip")
  step = _reports("reclip", "v3-8")[0]
  assert step.per_device_batch == 16
  method = methods.get(config.method)
  ctx = method_lib.stage_contexts(config, sharding.make_mesh(None))[0]
  gmacs = 0.0
  for fn, args in method.flops_fns(ctx).values():
    gmacs += metrics.compiled_flops(jax.jit(fn).lower(*args).compile()) / 2e9
  expected = 3 * 2 * gmacs * step.per_device_batch
  assert abs(step.gflops_per_device / expected - 1) < 0.05, (
      step.gflops_per_device,
      expected,
  )


def _param_specs(model: str) -> dict[str, str]:
  config = _config(model, FSDP)
  devices = aot.topology_devices(chips.resolve("v3-32"))
  mesh = sharding.make_mesh(config.mesh, devices)
  ctx = method_lib.stage_contexts(config, mesh)[0]
  build = train_lib.build_stage(methods.get(config.method), ctx)
  specs = {}
  for tree in (build.shardings.params, build.shardings.frozen):
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
      specs[sharding.path_name(path)] = str(leaf.spec)
  return specs


@pytest.mark.parametrize("model", ["reclip", "akd"])
def test_fsdp_parameter_shardings_match_the_golden_snapshot(model):
  specs = _param_specs(model)
  golden = GOLDEN / f"{model}_fsdp_4x8_param_shardings.json"
  if os.environ.get("JAXVISION_UPDATE_GOLDEN"):
    golden.parent.mkdir(exist_ok=True)
    golden.write_text(json.dumps(specs, indent=1, sort_keys=True) + "\n")
  assert specs == json.loads(golden.read_text())
  assert any("fsdp" in spec for spec in specs.values())


def test_resource_exhausted_is_reported_not_raised():
  slice_ = chips.resolve("v3-8")
  mesh = sharding.make_mesh(None, aot.topology_devices(slice_))
  x = jax.ShapeDtypeStruct((8 * 65536, 128), jax.numpy.float32)
  # [65,536 x 524,288] f32 per device: 128 GiB, whichever of XLA's
  # RESOURCE_EXHAUSTED or the peak check catches it.
  jitted = jax.jit(
      lambda a: a @ a.T, in_shardings=sharding.batch_sharding(mesh)
  )
  report = aot.Report(
      name="big",
      fits=True,
      devices=8,
      mesh="8x1x1",
      global_batch=x.shape[0],
      per_device_batch=65536,
      hbm_gib=16,
      compile_s=0.0,
  )
  aot._compile(
      report,
      lambda: jitted.lower(x),
      slice_,
      (x,),
      (sharding.batch_sharding(mesh),),
  )
  assert not report.fits
  assert report.largest_buffers or report.error
  assert "fits=false" in report.lines()[-1]


def test_missing_libtpu_is_a_clear_error(monkeypatch):
  real = aot.importlib.util.find_spec
  monkeypatch.setattr(
      aot.importlib.util,
      "find_spec",
      lambda name: None if name == "libtpu" else real(name),
  )
  with pytest.raises(aot.AotError, match=r"pip install -e '\.\[tpu\]'"):
    aot.topology_devices(chips.resolve("v3-8"))


def test_no_target_and_no_topology_is_a_clear_error():
  config = _config("akd")
  config.target = {}
  with pytest.raises(aot.AotError, match="--topology"):
    aot.target_slice(config, None)
