"""Tiny overrides of the LD-ZNet smoke configs shared by the training tests."""

import jax

TINY = [
    "log_every=1",
    "checkpoint.every_steps=2",
    "checkpoint.async_save=False",
    "data.train_size=16",
    "eval.datasets.shapes_phrase.size=8",
    "eval.batch_size=8",
]
# The smoke's three stages (autoencoder, UNet pretraining, segmentation).
TINY_SMOKE = TINY + [
    f"stages.{i}.{key}={value}"
    for i, steps in enumerate((2, 2, 4))
    for key, value in (("steps", steps), ("batch_size", 8))
]
# NOTE: training runs in these tests use one device, like the CLI on a plain
# CPU: the session's 8 fake devices would split each batch into 8 programs
# on the same 2 cores.
ONE_DEVICE = jax.devices()[:1]
