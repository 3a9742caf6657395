"""Test setup: 8 fake CPU devices so sharded steps run on a real mesh."""

import os

# NOTE: must be set before jax is imported anywhere in the test session.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
