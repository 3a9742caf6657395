"""Launching jaxvision: Cloud TPU VM scripts (tpu/), a local GPU wrapper
(gpu/local.sh) and the config sweep expander (sweep.py). See README.md."""
