"""Paper configs do not train on random weights unless asked to.

A config that reproduces a paper starts from published weights: LD-ZNet and
the `ldm` features from Stable Diffusion (`ldm.weights`; without it also a
byte-level tokenizer), the violence model from ImageNet VGG13
(`model.backbone_cfg.pretrained_path`), EMA-Net from a ViT-B/16
(`model.backbone.init_path`). With the path empty these methods quietly
build random weights, which is what `params`, `flops` and `aot` want (shapes
only) but makes a training run worthless. So such configs set
`allow_random_init=False`, and the commands that compute with the weights
(`train`, `extract-features`) call `check` first; smoke configs, whose tiny
models are random or pretrained in an earlier stage, set it True. Configs
without the key are not checked.
"""

import logging

import ml_collections

from jaxvision import user_errors

# Config keys that name a pretrained-weights file or folder ('' = random).
WEIGHT_KEYS = (
    "ldm.weights",
    "model.backbone_cfg.pretrained_path",
    "model.backbone.init_path",
)


def _get(config: ml_collections.ConfigDict, key: str):
  node = config
  for part in key.split("."):
    if not isinstance(node, ml_collections.ConfigDict) or part not in node:
      return None
    node = node[part]
  return node


def missing(config: ml_collections.ConfigDict) -> list[str]:
  """The WEIGHT_KEYS present in `config` and empty."""
  return [key for key in WEIGHT_KEYS if _get(config, key) == ""]


def check(config: ml_collections.ConfigDict, command: str) -> None:
  """Refuses `command` on random weights unless `allow_random_init`.

  Raises:
    user_errors.InputError: a weights key is empty and the config sets
      `allow_random_init=False`.
  """
  if "allow_random_init" not in config:
    return
  empty = missing(config)
  if not empty:
    return
  if config.allow_random_init:
    logging.warning(
        "%s with random weights: %s empty (allow_random_init).",
        command,
        ", ".join(empty),
    )
    return
  key = empty[0]
  raise user_errors.InputError(
      user_errors.message(
          f"{command} needs the config's pretrained weights, but {key} is empty",
          key,
          f"set --config.{key}=PATH (the config's docstring says which "
          "file), or --config.allow_random_init=true to use random weights",
      )
  )
