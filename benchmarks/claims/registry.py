"""The methods whose claims are implemented, imported only when run (the
method modules import jax and the engine; `--help` and errors stay fast)."""

import importlib
import types

METHODS = {"reclip": "benchmarks.claims.reclip", "akd": "benchmarks.claims.akd"}


def load(method: str) -> types.ModuleType:
  """The claim module of `method` (CLAIMS, run_seed(seed, quick, root))."""
  return importlib.import_module(METHODS[method])
