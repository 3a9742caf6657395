"""The frozen SD v1.x roles {unet, vae, text}: random, or converted weights.

Frozen roles are never checkpointed; the engine rebuilds them with `init`
(spec: "reloaded from their source"). With `ldm.weights` set to a folder
written by `python -m jaxvision.main convert sd-v1`, `init` reads the
safetensors files through `jax.pure_callback`: under `jax.eval_shape` (the
`params` command, shape checks) nothing is read, and under the engine's
jitted, sharded init the arrays come straight from the files instead of
being baked into the program as constants.
"""

import functools
import pathlib

import jax
import ml_collections
import numpy as np

from jaxvision.core import checkpoint
from jaxvision.methods.ldm import features
from jaxvision.models.sd import ldm
from jaxvision.weights import sd_v1
from jaxvision.weights import torch_to_flax


def _check_architecture(folder: str, expected: ldm.LDMConfig) -> None:
  path = pathlib.Path(folder)
  if not (path / "config.json").is_file():
    raise FileNotFoundError(
        f"ldm.weights={folder!r} is not a converted SD folder (no config.json)."
        " Convert a checkpoint first: python -m jaxvision.main convert sd-v1 "
        f"--src sd-v1-4.ckpt --dst {folder}"
    )
  found = sd_v1.load(folder, roles=()).config
  # NOTE: remat / attention change the program, not the weights.
  expected = expected.architecture()
  if found.architecture() != expected:
    raise checkpoint.CheckpointMismatchError(
        f"ldm.weights={folder!r} holds {found.to_dict()}, but the config asks "
        f"for {expected.to_dict()}; fix ldm.unet/vae/text or the weights path."
    )


def _load(folder: str, role: str, abstract):
  """A role's params from `folder`, via a pure callback (shape `abstract`)."""

  def read():
    tree = torch_to_flax.load_tree(pathlib.Path(folder) / f"{role}.safetensors")
    checkpoint.check_compatible(tree, abstract, f"{folder}/{role}.safetensors")
    return jax.tree.map(lambda x, a: np.asarray(x, a.dtype), tree, abstract)

  return jax.pure_callback(read, abstract)


def init(ldm_cfg: ml_collections.ConfigDict, rng: jax.Array) -> dict:
  """{unet, vae, text} params: `ldm.weights` if set, else random."""
  return init_from(
      features.architecture(ldm_cfg), ldm_cfg.get("weights", ""), rng
  )


def init_from(config: ldm.LDMConfig, weights: str, rng: jax.Array) -> dict:
  """`init` for an architecture and a converted-weights folder ('' = random)."""
  if not weights:
    return ldm.init_params(config, rng)
  _check_architecture(weights, config)
  abstract = ldm.abstract_params(config)
  return {role: _load(weights, role, abstract[role]) for role in ldm.ROLES}


@functools.lru_cache(maxsize=4)
def jitted_init(config: ldm.LDMConfig, weights: str):
  """`init_from` jitted once per (architecture, weights) in a process."""
  return jax.jit(functools.partial(init_from, config, weights))
