"""Loads `get_config(arg)` python config files, applies overrides, validates.

A config is named like `configs/reclip/reclip.py:size=64`: a python file that
defines `get_config(arg: str | None) -> ml_collections.ConfigDict` and may
define `sweep() -> list[dict[str, Any]]` (each dict maps dotted keys to values).
Overrides are `key.path=value` strings (the CLI's `--config.key.path=value`);
list items are addressed by index, e.g. `stages.1.steps=500`.

The `arg` of a config file is parsed by `parse_arg` (big_vision's style:
"size=64,ft448,noakd" against the file's declared options).

Every bad input raises `ConfigError` naming the problem and listing what is
valid, so users never see a traceback from deep inside ml_collections.
"""

import ast
import contextlib
import dataclasses
import difflib
import importlib.util
import pathlib
import types
from typing import Any, Sequence

import ml_collections


class ConfigError(ValueError):
  """A config file, config argument or override is invalid."""


@dataclasses.dataclass(frozen=True)
class OneOf:
  """A config-argument option whose value is one of `choices`.

  A bare choice (`teacher` for `kind=teacher`) sets it when no other option
  offers the same word. `default` None means "not given".
  """

  choices: tuple[Any, ...]
  default: Any = None


def one_of(*choices: Any, default: Any = None) -> OneOf:
  """An enumerated `parse_arg` option (see `OneOf`)."""
  return OneOf(tuple(choices), default)


def _option(spec: Any) -> tuple[Any, type | None, tuple[Any, ...]]:
  """(default, value type, choices) of one `parse_arg` spec entry."""
  if isinstance(spec, OneOf):
    return spec.default, type(spec.choices[0]), spec.choices
  if isinstance(spec, tuple):
    default, kind = spec
    return default, kind, ()
  return spec, None if spec is None else type(spec), ()


def _typed(name: str, raw: str, kind: type | None) -> Any:
  if kind is bool:
    if raw.lower() in ("true", "1"):
      return True
    if raw.lower() in ("false", "0"):
      return False
  elif kind is None or kind is str:
    return raw
  else:
    try:
      return kind(raw)
    except ValueError:
      pass
  raise ConfigError(
      f"Config argument {name}={raw!r} must be of type " f"{kind.__name__}."
  )


def _usage(name: str, kind: type | None, choices: tuple[Any, ...]) -> str:
  """How an option is written: `flag`, `size=<int>`, `kind=a|b`."""
  if choices:
    return f"{name}={'|'.join(map(str, choices))}"
  if kind is bool:
    return name
  return f"{name}=<{(kind or str).__name__}>"


def _resolve(
    item: str, options: dict[str, tuple[Any, type | None, tuple]]
) -> tuple[str, str, str | None]:
  """(item, option name, raw value or None for a bare flag) of one item.

  A bare word that is no option's name but one option's choice stands for
  `option=word`; a word that several options offer is ambiguous.
  """
  name, has_value, raw = item.partition("=")
  if has_value or name in options:
    return item, name, raw if has_value else None
  owners = [
      n for n, (_, _, choices) in options.items() if name in map(str, choices)
  ]
  if len(owners) > 1:
    raise ConfigError(
        f"Config argument {name!r} is ambiguous: a value of "
        f"{', '.join(owners)}; write {owners[0]}={name}."
    )
  return (item, owners[0], name) if owners else (item, name, None)


def parse_arg(
    arg: str | None, *, sep: str = ",", **spec: Any
) -> ml_collections.ConfigDict:
  """Parses a config file's argument against its declared options.

  `parse_arg("size=64,ft448", size=(None, int), ft448=False, batch=16384)`
  gives `ConfigDict(size=64, ft448=True, batch=16384)`. An option's default
  says how it is written and typed:

    bool             a flag: `name` alone sets True (`name=false` clears it)
    int, float, str  `name=value`, converted to the default's type
    (default, type)  a default such as None with the type of the value
    one_of(...)      `name=choice` or the bare choice (see `OneOf`)

  Args:
    arg: the text after `:` in `configs/x.py:arg`; None or "" gives the
      defaults.
    sep: what separates the items (violence names its presets
      `hockey_spatial_nobn`).
    **spec: option name -> default, as above.

  Returns:
    Every option of `spec`, given or default.

  Raises:
    ConfigError: an unknown option (listing the known ones), a value of the
      wrong type or not among the choices, an option given twice.
  """
  options = {name: _option(entry) for name, entry in spec.items()}
  values = {name: default for name, (default, _, _) in options.items()}
  known = ", ".join(
      _usage(name, *option[1:]) for name, option in options.items()
  )
  items = [
      _resolve(item, options)
      for item in filter(None, map(str.strip, (arg or "").split(sep)))
  ]
  unknown = [item for item, name, _ in items if name not in options]
  if unknown:
    close = {
        c
        for item in unknown
        for c in difflib.get_close_matches(
            item.partition("=")[0], list(options), n=1
        )
    }
    hint = f" Did you mean {', '.join(sorted(close))}?" if close else ""
    raise ConfigError(
        f"Config argument {arg!r} has unknown options "
        f"{unknown}.{hint} Known: {known}."
    )
  given = set()
  for _, name, raw in items:
    _, kind, choices = options[name]
    if raw is None:
      if kind is not bool:
        raise ConfigError(
            f"Config argument {name!r} needs a value "
            f"({name}=...). Known: {known}."
        )
      raw = "true"
    value = _typed(name, raw, kind)
    if choices and value not in choices:
      raise ConfigError(
          f"Config argument {name}={raw!r} is not one of "
          f"{'|'.join(map(str, choices))}."
      )
    if name in given:
      raise ConfigError(
          f"Config argument {name!r} is given twice in " f"{arg!r}."
      )
    given.add(name)
    values[name] = value
  return ml_collections.ConfigDict(values)


def _load_module(path: str) -> types.ModuleType:
  file = pathlib.Path(path)
  if not file.is_file():
    hint = ""
    candidates = sorted(str(p) for p in pathlib.Path("configs").glob("*/*.py"))
    close = difflib.get_close_matches(path, candidates, n=3)
    if close:
      hint = f" Did you mean: {', '.join(close)}?"
    raise ConfigError(f"Config file {path!r} does not exist.{hint}")
  spec = importlib.util.spec_from_file_location(
      f"jaxvision_config_{file.stem}", file
  )
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  if not hasattr(module, "get_config"):
    raise ConfigError(f"Config file {path!r} defines no get_config(arg).")
  return module


def split_spec(spec: str) -> tuple[str, str | None]:
  """Splits `path.py:arg` into (path, arg); arg is None when absent."""
  path, sep, arg = spec.partition(":")
  return path, (arg if sep else None)


def load_module(spec: str) -> types.ModuleType:
  """Imports the config file named by `spec` (the `:arg` part is ignored)."""
  return _load_module(split_spec(spec)[0])


def load_config(
    spec: str, overrides: Sequence[str] = ()
) -> ml_collections.ConfigDict:
  """Loads `path.py[:arg]`, applies `key=value` overrides and validates."""
  path, arg = split_spec(spec)
  module = _load_module(path)
  try:
    config = module.get_config(arg)
  except (KeyError, ValueError) as e:
    raise ConfigError(f"{path}: invalid config argument {arg!r}: {e}") from e
  config = normalize(config)
  for override in overrides:
    key, sep, raw = override.partition("=")
    if not sep:
      raise ConfigError(f"Override {override!r} must look like key.path=value.")
    set_value(config, key.removeprefix("config."), parse_value(raw))
  validate(config)
  return config


def normalize(config: Any) -> ml_collections.ConfigDict:
  """ConfigDict all the way down, including dicts inside lists (stages)."""
  if isinstance(config, ml_collections.ConfigDict):
    config = config.to_dict()
  if isinstance(config, dict):
    return ml_collections.ConfigDict(
        {k: _normalize_value(v) for k, v in config.items()}
    )
  raise ConfigError(
      f"get_config must return a ConfigDict, got " f"{type(config).__name__}."
  )


def _normalize_value(value: Any) -> Any:
  if isinstance(value, (dict, ml_collections.ConfigDict)):
    return normalize(value)
  if isinstance(value, list):
    return [_normalize_value(v) for v in value]
  return value


def parse_value(raw: str) -> Any:
  """Parses an override value as a python literal, else keeps the string."""
  try:
    return ast.literal_eval(raw)
  except (ValueError, SyntaxError):
    return raw


def flat_keys(node: Any, prefix: str = "") -> list[str]:
  """All dotted leaf paths of a config (list items by index)."""
  if isinstance(node, ml_collections.ConfigDict):
    items = node.items()
  elif isinstance(node, (list, tuple)) and any(
      isinstance(v, ml_collections.ConfigDict) for v in node
  ):
    items = ((str(i), v) for i, v in enumerate(node))
  else:
    return [prefix]
  keys = []
  for name, value in items:
    keys += flat_keys(value, f"{prefix}.{name}" if prefix else name)
  return keys


def _unknown_key(config: ml_collections.ConfigDict, key: str) -> ConfigError:
  valid = flat_keys(config)
  close = difflib.get_close_matches(key, valid, n=3, cutoff=0.5)
  hint = f" Did you mean: {', '.join(close)}?" if close else ""
  return ConfigError(
      f"Unknown config key {key!r}.{hint} Valid keys: " f"{', '.join(valid)}"
  )


def set_value(config: ml_collections.ConfigDict, key: str, value: Any) -> None:
  """Sets a dotted key, type-checked against the existing value."""
  *parents, leaf = key.split(".")
  node = config
  for part in parents:
    node = _child(node, part, config, key)
  if isinstance(node, (list, tuple)):
    raise _unknown_key(config, key)
  if leaf not in node:
    raise _unknown_key(config, key)
  old = node[leaf]
  if old is not None and value is not None:
    value = _coerce(key, old, value)
  with node.unlocked() if node.is_locked else contextlib.nullcontext():
    node[leaf] = value


def _child(node: Any, part: str, root: ml_collections.ConfigDict, key: str):
  if isinstance(node, (list, tuple)):
    if not part.isdigit() or int(part) >= len(node):
      raise ConfigError(
          f"Config key {key!r}: index {part!r} is out of range "
          f"(the list has {len(node)} items)."
      )
    return node[int(part)]
  if not isinstance(node, ml_collections.ConfigDict) or part not in node:
    raise _unknown_key(root, key)
  return node[part]


def _coerce(key: str, old: Any, value: Any) -> Any:
  """Converts `value` to the type of `old`, or raises a clear error."""
  if isinstance(old, bool) or isinstance(value, bool):
    if isinstance(old, bool) and isinstance(value, bool):
      return value
  elif isinstance(old, int) and isinstance(value, int):
    return value
  elif isinstance(old, float) and isinstance(value, (int, float)):
    return float(value)
  elif isinstance(old, str) and isinstance(value, str):
    return value
  elif isinstance(old, (list, tuple)) and isinstance(value, (list, tuple)):
    return type(old)(value)
  elif not isinstance(old, (bool, int, float, str, list, tuple)):
    return value
  raise ConfigError(
      f"Config key {key!r} expects {type(old).__name__} "
      f"(current value {old!r}), got {value!r} "
      f"({type(value).__name__})."
  )


def validate(config: ml_collections.ConfigDict) -> None:
  """Checks the keys the engine relies on, with messages that name the fix."""
  for required in ("method", "stages"):
    if required not in config:
      raise ConfigError(
          f"Config has no {required!r} key; every config needs "
          "`method` (a name in jaxvision.methods.METHODS) and "
          "`stages` (a list of stages)."
      )
  if not config.stages:
    raise ConfigError("config.stages is empty: give at least one stage.")
  names = set()
  for i, stage in enumerate(config.stages):
    for field in ("name", "steps", "batch_size"):
      if field not in stage:
        raise ConfigError(f"config.stages.{i} has no {field!r}.")
    if stage.name in names:
      raise ConfigError(f"Stage name {stage.name!r} is used twice.")
    names.add(stage.name)
    if not isinstance(stage.steps, int) or stage.steps <= 0:
      raise ConfigError(
          f"config.stages.{i}.steps must be a positive int, "
          f"got {stage.steps!r}."
      )
    if not isinstance(stage.batch_size, int) or stage.batch_size <= 0:
      raise ConfigError(
          f"config.stages.{i}.batch_size must be a positive "
          f"int, got {stage.batch_size!r}."
      )
