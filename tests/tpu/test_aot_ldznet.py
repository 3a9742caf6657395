"""LD-ZNet (SD UNet + frozen LDM) deviceless TPU compiles: see test_aot.py."""

from tests.tpu import test_aot


def test_data_parallel_fits_all_reduces_grads_gathers_no_params():
  test_aot.test_data_parallel_fits_all_reduces_grads_gathers_no_params("ldznet")


def test_fsdp_gathers_params_and_shards_their_bytes():
  test_aot.test_fsdp_gathers_params_and_shards_their_bytes("ldznet")
