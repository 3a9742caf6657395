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

# The order files are handed to the xdist workers (`--dist loadfile`): each
# worker gets one file, then one more while it has at most two tests pending,
# and later another each time it is down to two. So the longest file goes
# first, the other worker takes the next long ones as it frees up, and the
# file queued behind the longest one is a quick one. Then the other files
# with `slow` tests, then the rest in collection order. Seconds: CPU time in
# one process (CI wall time for the first two).
SCHEDULE_FIRST = (
    "tests/methods/ldznet/test_train.py",  # ~870 (the whole run's floor)
    "tests/methods/sharingan/test_smoke.py",  # 280-620
    "tests/test_reproduce.py",  # < 10: configs only; waits behind the first
    "tests/methods/reclip/test_smoke.py",  # ~290
    "tests/tpu/test_aot_ldznet.py",  # ~280
    "tests/tpu/test_aot.py",  # ~170
    "tests/methods/akd/test_train.py",  # the teacher + student smoke
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
  rank = {path: i for i, path in enumerate(SCHEDULE_FIRST)}
  slow = {
      item.nodeid.split("::", 1)[0]
      for item in items
      if item.get_closest_marker("slow")
  }

  def key(index_item):
    index, item = index_item
    path = item.nodeid.split("::", 1)[0]
    return rank.get(path, len(rank) + (path not in slow)), index

  items[:] = [item for _, item in sorted(enumerate(items), key=key)]
