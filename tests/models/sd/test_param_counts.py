"""Exact parameter counts of the real SD v1.x parts (spec 8), via eval_shape."""

import jax

from jaxvision.core import optim
from jaxvision.models.sd import ldm


def test_sd_v1_parameter_counts():
  params = ldm.abstract_params(ldm.LDMConfig())
  counts = {role: optim.count_params(tree) for role, tree in params.items()}
  assert counts == {"unet": 859_520_964, "vae": 83_653_863, "text": 123_060_480}
  assert optim.count_params(params["vae"]["encoder"]) == 34_163_592
  assert optim.count_params(params["vae"]["decoder"]) == 49_490_179


def test_abstract_params_compute_nothing():
  params = ldm.abstract_params(ldm.LDMConfig())
  assert all(
      isinstance(x, jax.ShapeDtypeStruct) for x in jax.tree.leaves(params)
  )
