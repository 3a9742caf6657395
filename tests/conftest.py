"""Test setup: 8 fake CPU devices so sharded steps run on a real mesh.

Also, for the whole run (both pytest-xdist workers and the CLI subprocesses
the tests start): one JAX persistent compilation cache in a temporary
directory, so a program that several tests compile (the same model, step or
evaluation forward under another jit object, in another worker or in a
subprocess) compiles once; and the slowest files first, so that with
`--dist loadfile` no long file starts last and bounds the wall time.
"""

import os
import shutil
import tempfile

import pytest

# NOTE: must be set before jax is imported anywhere in the test session.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

# Set JAXVISION_TEST_COMPILATION_CACHE=0 to run without the shared cache.
_CACHE_ENV = "JAXVISION_TEST_COMPILATION_CACHE"
_CACHE_DIR_ENV = "JAX_COMPILATION_CACHE_DIR"

# Files by measured CPU seconds (single process, --durations=0), slowest
# first; files not listed keep their collection order after these. With
# `--dist loadfile` each worker takes the next file when it is almost idle,
# so starting with the longest ones balances the two workers (longest-
# processing-time-first).
SLOWEST_FIRST = (
    "tests/methods/ldznet/test_train.py",  # ~870 s in CI
    "tests/methods/sharingan/test_smoke.py",  # 280-620 s in CI
    "tests/methods/reclip/test_smoke.py",  # 290 s
    "tests/tpu/test_aot_ldznet.py",  # 280 s
    "tests/tpu/test_aot.py",  # 170 s
)


def _start_compilation_cache(config) -> None:
  """The run's cache directory; xdist workers and subprocesses inherit it."""
  if os.environ.get(_CACHE_ENV, "1") == "0":
    return
  if hasattr(config, "workerinput") or os.environ.get(_CACHE_DIR_ENV):
    return  # an xdist worker (the controller set it up) or a user's cache
  path = tempfile.mkdtemp(prefix="jaxvision-test-jax-cache-")
  config.stash[_OWNED_CACHE] = path
  # NOTE: environment variables, not jax.config.update: jax reads them when
  # it is first imported, in this process, in the xdist workers (started
  # after pytest_configure with this environment) and in the CLI
  # subprocesses of tests/test_cli.py, tests/launch/, ...
  os.environ[_CACHE_DIR_ENV] = path
  # Cache every program: most test programs compile in well under jax's
  # default 1 s threshold but are compiled again by other tests.
  os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")
  os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")


_OWNED_CACHE = pytest.StashKey[str]()


def pytest_configure(config):
  _start_compilation_cache(config)


def pytest_unconfigure(config):
  path = config.stash.get(_OWNED_CACHE, None)
  if path:
    shutil.rmtree(path, ignore_errors=True)
    if os.environ.get(_CACHE_DIR_ENV) == path:
      del os.environ[_CACHE_DIR_ENV]


def pytest_collection_modifyitems(config, items):
  del config
  rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}

  def key(index_item):
    index, item = index_item
    path = item.nodeid.split("::", 1)[0]
    return rank.get(path, len(rank)), index

  items[:] = [item for _, item in sorted(enumerate(items), key=key)]
