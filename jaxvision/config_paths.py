"""Fail fast on missing inputs: every path a config reads, checked at once.

A train run that names a missing dataset folder or weights file used to fail
after minutes of compilation, naming one path. `check` runs before jax starts
and before anything is written to the workdir: it finds the config's input
paths generically and raises one `ConfigError` that lists every missing one
with the key to set and what to put there.

Which values are input paths (no per-method list):
  * non-empty strings under a key whose name has a part (split on `_`) like
    `root`, `dir`, `path`, `file`, `ckpt`, `weights`, `tokenizer`, `list`,
    `csv`, `npz`, `manifest`, `workdir` (`init_from.workdir`), or whose value
    ends in a file extension (`~/data/smpl/SMPL_NEUTRAL.npz`);
  * not names such as `builtin:shapes_phrase`, and not remote URLs
    (`gs://...`: checked by their readers, where credentials are at hand);
  * not outputs: keys with `cache` in their name (written on first use), the
    nodes of generated data (`kind` = synthetic, toy, procedural, builtin),
    and a TFDS `data_dir` of a synthetic dataset (built there on first use) or
    of a node that reads another `kind` of data (e.g. `kind="tar"`).
A glob (`~/data/image_text/*.tar`) must match at least one file.
"""

import dataclasses
import glob
import os
import re
from typing import Iterator

import ml_collections

from jaxvision import config_lib

_NAME_PARTS = frozenset(
    {
        "root",
        "dir",
        "path",
        "file",
        "ckpt",
        "checkpoint",
        "weights",
        "tokenizer",
        "list",
        "csv",
        "npz",
        "manifest",
        "workdir",
    }
)
_DIR_PARTS = frozenset({"root", "dir", "workdir"})
_FILE_EXTENSION = re.compile(
    r"\.(npz|npy|pth|pt|ckpt|safetensors|msgpack|pkl|h5|mat|txt|csv|json|"
    r"tar|gz|zip|model|bin)$"
)
_GENERATED_KINDS = frozenset({"synthetic", "toy", "procedural", "builtin"})
_NAME_VALUE = re.compile(r"^[A-Za-z][\w+.-]*:(?!//)")  # builtin:x, not C:/..
_GLOB = re.compile(r"[*?\[]")


@dataclasses.dataclass(frozen=True)
class Missing:
  """One input path of the config that does not exist."""

  key: str  # dotted config key, e.g. data.vkitti_root
  value: str  # as written in the config
  what: str  # what to put there (the docstring's words, else a guess)


def _parts(key: str) -> set[str]:
  return set(key.rsplit(".", 1)[-1].lower().split("_"))


def _is_input_key(key: str, value: str) -> bool:
  parts = _parts(key)
  if any("cache" in part for part in parts):
    return False
  return bool(parts & _NAME_PARTS) or bool(_FILE_EXTENSION.search(value))


def _tfds_dir_is_input(node: ml_collections.ConfigDict) -> bool:
  """Whether a node's `data_dir` must already hold its (TFDS) dataset."""
  if node.get("kind", "tfds") != "tfds":
    return False  # another kind of data: data_dir is not what it reads.
  name = node.get("name", None)
  if not name:
    return True
  # NOTE: imported here: tensorflow_datasets is only needed for this case.
  from jaxvision.data import synthetic  # pylint: disable=g-import-not-at-top

  return name not in synthetic.BUILDERS


def _node_hint(node: ml_collections.ConfigDict, prefix: str) -> str:
  """What a node reads, from its `kind` / `type` / `name` strings."""
  said = [
      f"{k}={node[k]!r}"
      for k in ("kind", "type", "name")
      if isinstance(node.get(k, None), str)
  ]
  return f" ({prefix}: {', '.join(said)})" if said and prefix else ""


def input_paths(
    config: ml_collections.ConfigDict, prefix: str = ""
) -> Iterator[tuple[str, str, str]]:
  """(dotted key, path, hint) of every input path of `config` (rules: module
  doc); the hint says what the key's node reads, e.g. " (data: kind='tar')"."""
  if str(config.get("kind", "")) in _GENERATED_KINDS:
    return
  for name, value in config.items():
    key = f"{prefix}.{name}" if prefix else name
    if isinstance(value, ml_collections.ConfigDict):
      yield from input_paths(value, key)
    elif isinstance(value, (list, tuple)):
      for i, item in enumerate(value):
        if isinstance(item, ml_collections.ConfigDict):
          yield from input_paths(item, f"{key}.{i}")
    elif isinstance(value, str) and value.strip():
      if "://" in value or _NAME_VALUE.match(value):
        continue
      if not _is_input_key(key, value):
        continue
      if name == "data_dir" and not _tfds_dir_is_input(config):
        continue
      yield key, value, _node_hint(config, prefix)


def _exists(path: str) -> bool:
  path = os.path.expanduser(path)
  if _GLOB.search(path):
    return bool(glob.glob(path))
  return os.path.exists(path)


def _kind_of(key: str, value: str) -> str:
  """A guess from the key and value: a directory, a file or a glob."""
  if _GLOB.search(value):
    return "files matching this pattern"
  if _FILE_EXTENSION.search(value):
    return "the file"
  if _parts(key) & _DIR_PARTS:
    return "the folder"
  return "the file or folder"


def _described(key: str, doc: str) -> str:
  """What the config's docstring says about `key`: its sentence or example."""
  text = " ".join(doc.split())
  for sentence in re.split(r"(?<=[.)])\s+(?=[`A-Z])", text):
    if sentence.startswith(f"`{key}`"):
      return sentence
  for example in re.findall(rf"--config\.{re.escape(key)}=(\S+)", text):
    if example.strip("'\".") and example != "\\":
      return f"e.g. --config.{key}={example} (the config's docstring)"
  return ""


def missing(config: ml_collections.ConfigDict, doc: str = "") -> list[Missing]:
  """Every input path of `config` that does not exist, in key order."""
  found = []
  for key, value, hint in input_paths(config):
    if not _exists(value):
      what = f"put {_kind_of(key, value)} there{hint}"
      described = _described(key, doc or "")
      found.append(
          Missing(key, value, f"{what}; {described}" if described else what)
      )
  return found


def check(config: ml_collections.ConfigDict, doc: str = "") -> None:
  """Raises one ConfigError naming every missing input path of `config`.

  Args:
    config: the loaded config (overrides applied).
    doc: the config file's docstring; sentences about a key and
      `--config.key=value` examples in it say what to put there.
  """
  gone = missing(config, doc)
  if not gone:
    return
  lines = [
      f"{len(gone)} input path(s) of the config do not exist (checked "
      "before anything is compiled or written); put the data there or "
      "pass --config.KEY=PATH for each:"
  ]
  for item in gone:
    lines.append(
        f"  --config.{item.key}: {item.value!r} not found: " f"{item.what}"
    )
  raise config_lib.ConfigError("\n".join(lines))
