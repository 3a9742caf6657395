"""RECLIP: low-res main phase + high-res finetune vs high-res only, equal FLOPs.

Claim `reclip_low_res_at_equal_compute` (seed 002 Table 3.1's logic): with
the same training compute, training mostly on small images and finetuning
briefly at full resolution beats training at full resolution throughout,
because a small image costs a fraction of the tokens and so buys several
times the training steps (samples seen).

Arms, both the engine's real RECLIP training (`configs/reclip/claims.py`):
  a: 16 px main phase (16 tokens), then the up-sampled position table and a
     32 px finetune (64 tokens) of `FINETUNE_RATIO` x the main phase's steps
     (RECLIP-64's 50k finetune after its 250k main phase, Table 3.1);
  b: 32 px for the whole run.
Compute: per-example forward multiply-adds of each stage's towers from XLA
(the engine's `flops_fns`, as `jaxvision.main flops`), plus the B x B x D
similarity matrix of the InfoNCE loss (B * D per example); a training step
costs 3x its forward (backward = 2x forward) times the batch. The step
counts are solved so that both arms spend the same total.
Evaluation: zero-shot top-1 (mean over the four attributes) and retrieval
R@1 (mean of image->text and text->image) on the held-out `test` split of
`shapes_captions` (a disjoint generator seed), at 32 px for both arms.
"""

import os
import shutil
from typing import Any

import jax
import ml_collections

from benchmarks.claims import common
from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import method as method_lib
from jaxvision.core import metrics
from jaxvision.core import sharding
from jaxvision.core import train as train_lib

CLAIMS = (
    common.Claim("reclip_low_res_at_equal_compute", "zeroshot_top1"),
    common.Claim("reclip_low_res_at_equal_compute", "retrieval_r1"),
)
ARMS = {"a": "arm=reclip", "b": "arm=highres"}
HIGHRES_STEPS = {False: 200, True: 100}  # the baseline's steps (full, quick)
FINETUNE_RATIO = 0.2  # finetune steps / main-phase steps (50k / 250k)


def forward_macs(config: ml_collections.ConfigDict) -> list[float]:
  """Forward multiply-adds per training example of each stage.

  XLA's count of the image and text towers (2 FLOPs per multiply-add) plus
  the InfoNCE similarity matrix, B x B x D per step, i.e. B * D per example.
  """
  method = methods.get("reclip")
  mesh = sharding.make_mesh(config.get("mesh", None))
  out = []
  for ctx in method_lib.stage_contexts(config, mesh):
    towers = sum(
        metrics.compiled_flops(jax.jit(fn).lower(*args).compile()) / 2
        for fn, args in method.flops_fns(ctx).values()
    )
    out.append(towers + ctx.stage.batch_size * config.model.embed_dim)
  return out


def equal_compute(
    config_a: ml_collections.ConfigDict,
    config_b: ml_collections.ConfigDict,
    highres_steps: int,
) -> dict[str, Any]:
  """Sets the arms' step counts for equal training FLOPs; returns the count.

  b trains `highres_steps` at 32 px; a trains S main-phase steps at 16 px
  and FINETUNE_RATIO * S at 32 px, with S solved from
  S * C_16 + FINETUNE_RATIO * S * C_32 = highres_steps * C_32.
  """
  (low, high), (only,) = forward_macs(config_a), forward_macs(config_b)
  batch = config_b.stages[0].batch_size
  budget = 3 * batch * highres_steps * only
  main = round(highres_steps * only / (low + FINETUNE_RATIO * high))
  finetune = max(1, round(FINETUNE_RATIO * main))
  config_a.stages[0].steps, config_a.stages[1].steps = main, finetune
  config_b.stages[0].steps = highres_steps
  spent = 3 * batch * (main * low + finetune * high)
  return dict(
      forward_macs_per_example=dict(a_low=low, a_high=high, b=only),
      steps=dict(a_low=main, a_high=finetune, b=highres_steps),
      train_tflops=dict(a=2 * spent / 1e12, b=2 * budget / 1e12),
  )


def _metrics(results: dict[str, float]) -> dict[str, float]:
  """The claim metrics, plus the per-attribute and per-direction parts."""
  out = {
      k: v
      for k, v in results.items()
      if k.startswith("zeroshot_") or k in ("i2t_r1", "t2i_r1")
  }
  out["retrieval_r1"] = (results["i2t_r1"] + results["t2i_r1"]) / 2
  return out


def run_seed(seed: int, quick: bool, root: str) -> dict[str, Any]:
  """Trains both arms with model/data-order seed `seed`; held-out metrics."""
  configs = {
      arm: config_lib.load_config(f"configs/reclip/claims.py:{arg}", [])
      for arm, arg in ARMS.items()
  }
  for config in configs.values():
    config.seed = seed
  compute = equal_compute(configs["a"], configs["b"], HIGHRES_STEPS[quick])
  out = dict(seed=seed, compute=compute)
  for arm, config in configs.items():
    workdir = os.path.join(root, f"seed{seed}", arm)
    shutil.rmtree(workdir, ignore_errors=True)
    results = train_lib.train(
        config, workdir, methods.get("reclip"), devices=jax.devices()[:1]
    )
    out[arm] = _metrics(results)
  return out
