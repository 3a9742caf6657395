"""`Method.abstract_batch` agrees with the batches `make_train_data` yields.

`aot` compiles each stage's train step on `abstract_batch(ctx)` alone, so a
key, shape or dtype that differs from the real pipeline would compile a
program the trainer never runs. For every method with the hook, this builds
its CPU smoke config, takes one batch of every stage's training stream (the
stages of a method may read different keys: SharinGAN's task pretraining
has no real images) and compares it with the hook, key by key (one process:
the host-local batch is the global batch). Nothing is compiled.
"""

import jax
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import method as method_lib
from jaxvision.core import sharding


def _data_dir(tmp_path):
  return f"data.data_dir={tmp_path / 'data'}"


def _toy_body_dir(tmp_path):
  return f"assets.dir={tmp_path / 'lmr_toy_body'}"


# method -> (smoke config, overrides that keep written files under tmp_path).
SMOKE = {
    "reclip": ("configs/reclip/smoke.py", _data_dir),
    "ldznet": ("configs/ldznet/smoke.py", None),
    "akd": ("configs/akd/smoke.py", None),
    "sharingan": ("configs/sharingan/smoke.py", None),
    "violence": ("configs/violence/smoke.py", None),
    "emfa": ("configs/emfa/smoke.py", None),
    "monoindoor": ("configs/monoindoor/smoke.py", None),
    "lmr": ("configs/lmr/smoke.py", _toy_body_dir),
    "vae_attention": ("configs/vae_attention/smoke.py", None),
}


def _spec(tree) -> dict[str, tuple[tuple[int, ...], str]]:
  return {
      key: (tuple(value.shape), np.dtype(value.dtype).name)
      for key, value in tree.items()
  }


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_abstract_batch_matches_a_real_batch_of_every_stage(name, tmp_path):
  path, overrides = SMOKE[name]
  config = config_lib.load_config(
      path, [overrides(tmp_path)] if overrides else []
  )
  method = methods.get(config.method)
  assert method.abstract_batch is not None, name
  assert method.eval_fns is not None, name
  mesh = sharding.make_mesh(config.get("mesh", None))
  for ctx in method_lib.stage_contexts(config, mesh):
    batch = next(
        method.make_train_data(ctx, method_lib.data_seed(config, ctx.index))
    )
    # NOTE: the trainer puts the batch on device, where 64-bit values become
    # 32-bit (jax_enable_x64 is off): the dtype the step is compiled for.
    real = {
        k: (shape, jax.dtypes.canonicalize_dtype(dtype).name)
        for k, (shape, dtype) in _spec(
            {k: np.asarray(v) for k, v in batch.items()}
        ).items()
    }
    assert _spec(method.abstract_batch(ctx)) == real, ctx.stage.name
    assert {shape[0] for shape, _ in real.values()} == {ctx.stage.batch_size}
