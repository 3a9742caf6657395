"""The CLI's commands on a loaded config: train, eval, predict, params, flops.

Each prints its results as `name=value` lines (one per line, so scripts and
checks can grep them) and returns an exit code.
"""

from typing import Any, Callable

import jax
import ml_collections

from jaxvision import methods
from jaxvision import pretrained
from jaxvision import user_errors
from jaxvision import workdir as workdir_lib
from jaxvision.core import checkpoint
from jaxvision.core import ema
from jaxvision.core import method as method_lib
from jaxvision.core import metrics
from jaxvision.core import optim
from jaxvision.core import sharding
from jaxvision.core import train as train_lib


def _print_results(results: dict[str, Any]) -> None:
  for name, value in sorted(results.items()):
    print(
        f"{name}={value:.6g}"
        if isinstance(value, float)
        else f"{name}={value}",
        flush=True,
    )


def train(
    config: ml_collections.ConfigDict,
    workdir: str,
    argv=(),
    *,
    command_line: str = "",
) -> int:
  """Trains every stage; the workdir keeps the run's config, command,
  versions and log, and is locked while the run trains
  (`jaxvision.workdir`). Refuses random weights where the config needs
  pretrained ones (`jaxvision.pretrained`)."""
  del argv
  pretrained.check(config, "train")
  method = methods.get(config.method)
  main_process = jax.process_index() == 0
  with (
      workdir_lib.locked(workdir, is_main_process=main_process),
      workdir_lib.recorded(
          config, workdir, command_line, is_main_process=main_process
      ),
  ):
    results = train_lib.train(config, workdir, method)
    if main_process:
      print("final held-out metrics:", flush=True)
      _print_results(results)
  return 0


def _restore_latest(config, workdir):
  """(ctx, state) of the newest checkpoint in `workdir` (raw params; evaluate
  and predict swap in the EMA params with `ema.for_evaluation`)."""
  method = methods.get(config.method)
  mesh = sharding.make_mesh(config.get("mesh", None))
  contexts = method_lib.stage_contexts(config, mesh, workdir)
  builds = {}

  def abstract_for(meta):
    builds["build"] = train_lib.build_stage(
        method, contexts[meta["stage_index"]]
    )
    return builds["build"].abstract_checkpoint()

  restored = checkpoint.restore_for_stage(workdir, abstract_for)
  if restored is None:
    raise FileNotFoundError(
        f"No restorable checkpoint in {checkpoint.directory(workdir)}; train "
        "first (python -m jaxvision.main train ...)."
    )
  build = builds["build"]
  return method, build.ctx, build.from_checkpoint(restored[1])


def evaluate(config, workdir, argv) -> int:
  del argv
  method, ctx, train_state = _restore_latest(config, workdir)
  if method.evaluate is None:
    raise user_errors.InvalidValueError(
        f"Method {method.name!r} defines no evaluation."
    )
  print(f"stage={ctx.stage.name} step={int(train_state.step)}")
  _print_results(method.evaluate(ctx, ema.for_evaluation(train_state)))
  return 0


def predict(config, workdir, argv) -> int:
  method, ctx, train_state = _restore_latest(config, workdir)
  if method.predict is None:
    raise user_errors.InvalidValueError(
        f"Method {method.name!r} defines no predict command."
    )
  _print_results(
      method.predict(ctx, ema.for_evaluation(train_state), list(argv))
  )
  return 0


def _contexts(config):
  mesh = sharding.make_mesh(config.get("mesh", None))
  return methods.get(config.method), method_lib.stage_contexts(config, mesh)


def params(config, workdir, argv) -> int:
  """Parameter counts per stage (all roles; trainable = roles with optimizer)."""
  del workdir, argv
  method, contexts = _contexts(config)
  for ctx in contexts:
    roles, _ = method_lib.split_init(
        jax.eval_shape(
            lambda r, c=ctx: method.init(c, r),
            train_lib.base_rng(config, ctx.index),
        )
    )
    txs, _ = optim.per_role(ctx.stage.optim, list(roles), ctx.steps)
    trainable = sum(optim.count_params(v) for k, v in roles.items() if k in txs)
    print(f"stage={ctx.stage.name}")
    for role, tree in sorted(roles.items()):
      print(f"params_{role}={optim.count_params(tree)}")
      # One line per top-level sub-module (RECLIP's image and text towers,
      # a GAN's encoder/decoder), where a role has several.
      modules = {k: v for k, v in tree.items() if isinstance(v, dict)}
      if len(modules) > 1:
        for name, subtree in sorted(modules.items()):
          print(f"params_{role}/{name}={optim.count_params(subtree)}")
    print(f"total_params={optim.count_params(roles)}")
    print(f"trainable_params={trainable}", flush=True)
  return 0


def flops(config, workdir, argv) -> int:
  """Forward multiply-adds per example of each stage's model(s), from XLA."""
  del workdir, argv
  method, contexts = _contexts(config)
  if method.flops_fns is None:
    raise user_errors.InvalidValueError(
        f"Method {method.name!r} defines no flops_fns."
    )
  for ctx in contexts:
    print(f"stage={ctx.stage.name}")
    total = 0.0
    for name, (fn, args) in method.flops_fns(ctx).items():
      compiled = jax.jit(fn).lower(*args).compile()
      # NOTE: XLA counts 2 FLOPs per multiply-add; the papers count MACs.
      gmacs = metrics.compiled_flops(compiled) / 2 / 1e9
      total += gmacs
      print(f"gflops_{name}={gmacs:.6g}")
    print(f"gflops_per_example={total:.6g}", flush=True)
  return 0


def convert(args) -> int:
  """`convert sd-v1`: a SD v1.x checkpoint -> a folder `ldm.weights` accepts."""
  from jaxvision.weights import sd_v1  # pylint: disable=g-import-not-at-top

  converted = sd_v1.convert(
      args.src, weights=args.weights, num_heads=args.num_heads
  )
  sd_v1.save(
      converted, args.dst, args.tokenizer or sd_v1.find_tokenizer(args.src)
  )
  _print_results(
      {
          f"params_{role}": optim.count_params(tree)
          for role, tree in converted.params.items()
      }
      | {"dst": args.dst}
  )
  return 0


def extract_features(config, out: str) -> int:
  """Caches what the config's frozen model computes (LDM features of the
  `ldm` method's dataset, or of LD-ZNet's training stream) in `out`."""
  pretrained.check(config, "extract-features")
  method = methods.get(config.method)
  if method.extract_features is None:
    raise user_errors.InvalidValueError(
        f"Method {method.name!r} has no features to extract; "
        "methods that do: ldm, ldznet."
    )
  _print_results(method.extract_features(config, out) | {"out": out})
  return 0


COMMANDS: dict[str, Callable[..., int]] = {
    "train": train,
    "eval": evaluate,
    "predict": predict,
    "params": params,
    "flops": flops,
}
