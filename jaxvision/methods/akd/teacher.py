"""The frozen teacher (G_T, D_T): a weights file and its in-graph loading.

A teacher is a StarGAN trained first (an AKD run with `akd.enabled=False`).
Its `gen` and `disc` params are exported to one `.npz` whose keys are
"gen/<path>" and "disc/<path>" (`predict --export_teacher FILE`). A student
run names that file in `akd.teacher_ckpt`; its `init` returns the file's
arrays as the frozen roles `teacher_gen` / `teacher_disc`.

NOTE: frozen roles are not checkpointed; on resume the engine rebuilds them
by running `init` again and then applying `config.init_from` (core/train.py),
so this file is read on every start. `init_from` with a `role_map`
(`teacher_gen: gen`, `teacher_disc: disc`) could load the teacher run's
checkpoint instead; this `.npz` path is the one the configs use today. The
arrays enter the graph through `jax.pure_callback`, not as constants, so a
paper-size teacher (about 53 M parameters) is not baked into the compiled
program.
"""

import functools
import os
from typing import Any

import flax
import jax
import numpy as np

ROLES = ("gen", "disc")


def export(params: dict[str, Any], path: str) -> str:
  """Writes {"gen": ..., "disc": ...} params to an .npz file."""
  flat = {}
  for role in ROLES:
    for key, value in flax.traverse_util.flatten_dict(
        jax.device_get(params[role]), sep="/"
    ).items():
      flat[f"{role}/{key}"] = np.asarray(value)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "wb") as f:
    np.savez(f, **flat)
  return path


@functools.lru_cache(maxsize=4)
def _read(path: str) -> dict[str, np.ndarray]:
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f"akd.teacher_ckpt={path!r} does not exist. Train a teacher StarGAN "
        "(the same config with akd.enabled=False), then export it with "
        "`python -m jaxvision.main predict --config ... --workdir TEACHER "
        f"--export_teacher {path}`."
    )
  with np.load(path) as archive:
    return {k: archive[k] for k in archive.files}


def _check(
    flat: dict[str, np.ndarray], expected: dict[str, Any], path: str
) -> None:
  missing = sorted(set(expected) - set(flat))
  unexpected = sorted(set(flat) - set(expected))
  reshaped = [
      f"{k}: {flat[k].shape} vs expected {expected[k].shape}"
      for k in sorted(set(flat) & set(expected))
      if flat[k].shape != tuple(expected[k].shape)
  ]
  if missing or unexpected or reshaped:
    raise ValueError(
        f"Teacher weights {path!r} do not match akd.teacher_model: "
        f"missing {missing[:10]}, unexpected {unexpected[:10]}, shape "
        f"mismatches {reshaped[:10]}. Set akd.teacher_model (G/D conv_dim, "
        "repeat_num) and akd.teacher_attrs to the teacher run's values."
    )


def load(path: str, abstract: dict[str, Any]) -> dict[str, Any]:
  """The teacher's {"gen", "disc"} params, shaped like `abstract`.

  Traceable: the file is checked at trace time and its arrays are produced
  on the host by a callback when the compiled function runs.
  """
  path = os.path.expanduser(path)
  flat = _read(path)
  expected = {}
  for role in ROLES:
    for key, value in flax.traverse_util.flatten_dict(
        abstract[role], sep="/"
    ).items():
      expected[f"{role}/{key}"] = value
  _check(flat, expected, path)
  keys = sorted(expected)
  shapes = [
      jax.ShapeDtypeStruct(expected[k].shape, expected[k].dtype) for k in keys
  ]

  def host():
    return [flat[k].astype(s.dtype) for k, s in zip(keys, shapes)]

  arrays = jax.pure_callback(host, shapes)
  out = {role: {} for role in ROLES}
  for key, array in zip(keys, arrays):
    role, rest = key.split("/", 1)
    out[role][rest] = array
  return {
      role: flax.traverse_util.unflatten_dict(tree, sep="/")
      for role, tree in out.items()
  }
