"""The `configs` command: every config file, what it is for and its options.

Everything comes from the files themselves, read with `ast` (no config is
imported, so no jax and no method code): the purpose is the docstring's first
line, the run command the docstring's first `python -m jaxvision.main train`
command (else its first `python -m` command), and the options of the
`get_config(arg)` argument are parsed from the docstring's argument section:

  Argument: comma-separated options.        an indented list, one option per
    size=64|80|112   RECLIP-X: ...          line (the first word of each)
  Arg: nyu (default) | euroc | scannet.     inline, split at `,` `|` `or`
  Arguments: `no_gen` (row 1), `no_rec`.    inline, the `quoted` words

A docstring without such a section gives the `file.py:OPTION` uses in its
commands (`--config configs/sharingan/smoke.py:baseline`), and a
`get_config` that starts with `del arg` takes no argument.
"""

import ast
import dataclasses
import pathlib
import re

from jaxvision import config_lib

_SECTION_AT_LINE_START = re.compile(
    r"(?im)^[ \t]*(?:arg|args|argument|arguments)\b(?P<head>[^:\n]*):"
)
_SECTION_IN_TEXT = re.compile(
    r"\b(?:Arg|Args|Argument|Arguments)\b(?P<head>[^:\n.]*):"
)
_OPTION_LINE = re.compile(r"^(?P<indent>[ \t]+)(?P<option>\S+)[ \t]{2,}\S")
_QUOTED = re.compile(r"`([^`]+)`|\"([^\"]+)\"")
_KEY_VALUE = re.compile(r"\b[a-z_]+=(?:<[^>]+>|[^\s,;()]+)")
_TOKEN = re.compile(r"^[\w=|.<>\[\]+-]+$")
_USES = re.compile(r"\.py:([A-Za-z_][\w=|,.-]*)|(?<![\w/.:])`?:([a-z_]\w*)")
_COMMAND = re.compile(r"python -m (?:\\\n|[^\n])*")


@dataclasses.dataclass(frozen=True)
class Entry:
  """One config file as the `configs` command shows it."""

  path: str  # configs/<method>/<file>.py
  purpose: str  # the docstring's first line
  options: tuple[str, ...]  # what `path.py:ARG` accepts (comma-separated)
  takes_arg: bool  # False when get_config ignores its argument
  run: str  # a command that uses the config


def _get_config(tree: ast.Module) -> ast.FunctionDef | None:
  for node in tree.body:
    if isinstance(node, ast.FunctionDef) and node.name == "get_config":
      return node
  return None


def _ignores_arg(function: ast.FunctionDef) -> bool:
  """Whether get_config's body starts with `del <its argument>`."""
  args = function.args.args
  body = function.body[1:] if ast.get_docstring(function) else function.body
  return bool(
      args
      and body
      and isinstance(body[0], ast.Delete)
      and any(
          isinstance(t, ast.Name) and t.id == args[0].arg
          for t in body[0].targets
      )
  )


def _section(doc: str) -> tuple[str, str] | None:
  """(head, rest of the paragraph) of the docstring's argument section."""
  matches = [
      m
      for m in (
          _SECTION_AT_LINE_START.search(doc),
          _SECTION_IN_TEXT.search(doc),
      )
      if m
  ]
  if not matches:
    return None
  match = min(matches, key=lambda m: m.start())
  rest = doc[match.end() :]
  paragraph_end = re.search(r"\n[ \t]*\n", rest)
  return (
      match.group("head"),
      rest[: paragraph_end.start() if paragraph_end else len(rest)],
  )


def _listed(text: str) -> list[str]:
  """The first words of the option lines under a section's first line."""
  lines = text.split("\n")[1:]
  matches = [_OPTION_LINE.match(line) for line in lines]
  matches = [m for m in matches if m]
  if not matches:
    return []
  indent = min(len(m.group("indent")) for m in matches)
  return [
      m.group("option") for m in matches if len(m.group("indent")) == indent
  ]


def _inline(head: str, text: str) -> list[str]:
  """Options written in the section's sentence(s)."""
  quoted = [a or b for a, b in _QUOTED.findall(head + " " + text)]
  if quoted:
    # Prose around quoted names may also name `key=value` options.
    return [q.strip(", ") for q in quoted] + _KEY_VALUE.findall(text)
  sentence = re.split(r"\.(?:\s|$)", " ".join(text.split()), maxsplit=1)[0]
  sentence = re.sub(r"\([^)]*\)", " ", sentence)
  options = []
  for piece in re.split(r",|;|\bor\b", sentence):
    piece = piece.strip()
    for option in ([piece] if "=" in piece else piece.split("|")):
      option = option.strip()
      if option and _TOKEN.match(option):
        options.append(option)
  return options


def _uses(doc: str) -> list[str]:
  """`file.py:OPTION` and `:option` mentions in the docstring."""
  found = []
  for a, b in _USES.findall(doc):
    for option in (a or b).split(","):
      if option and option not in found:
        found.append(option)
  return found


def options_of(doc: str) -> list[str]:
  """The `get_config(arg)` options a config's docstring describes."""
  section = _section(doc)
  if section is None:
    return _uses(doc)  # already without repeats
  head, text = section
  options = _listed(text) or _inline(head, text) or _uses(doc)
  return list(dict.fromkeys(options))  # without repeats, in order


def run_command(doc: str, path: str) -> str:
  """The docstring's first train command (else its first command)."""
  commands = [
      " ".join(c.replace("\\\n", " ").split()) for c in _COMMAND.findall(doc)
  ]
  commands = [c.split(" #")[0] for c in commands]
  for command in commands:
    if command.startswith("python -m jaxvision.main train"):
      return command
  if commands:
    return commands[0]
  return (
      f"python -m jaxvision.main train --config {path} "
      f"--workdir workdirs/{pathlib.Path(path).stem}"
  )


def entry(path: pathlib.Path) -> Entry | None:
  """The catalog entry of a config file; None if it defines no get_config."""
  tree = ast.parse(path.read_text(encoding="utf-8"))
  function = _get_config(tree)
  if function is None:
    return None
  doc = ast.get_docstring(tree) or ""
  takes_arg = not _ignores_arg(function)
  return Entry(
      path=path.as_posix(),
      purpose=doc.split("\n", 1)[0].strip(),
      options=tuple(options_of(doc)) if takes_arg else (),
      takes_arg=takes_arg,
      run=run_command(doc, path.as_posix()),
  )


def entries(method: str | None = None, root: str = "configs") -> list[Entry]:
  """Every config under `root/<method>/`, sorted by path."""
  folders = sorted(
      p
      for p in pathlib.Path(root).iterdir()
      if p.is_dir() and any(p.glob("*.py"))
  )
  if method is not None:
    names = [p.name for p in folders]
    if method not in names:
      raise config_lib.ConfigError(
          f"No config folder {root}/{method}; methods with configs: "
          f"{', '.join(names)}."
      )
    folders = [pathlib.Path(root) / method]
  found = (entry(f) for folder in folders for f in sorted(folder.glob("*.py")))
  return [e for e in found if e is not None]


def command(method: str | None = None) -> int:
  """Prints each config: path, purpose, options, run command."""
  listed = entries(method)
  for e in listed:
    if not e.takes_arg:
      options = "none (get_config ignores its argument)"
    else:
      options = ", ".join(e.options) or "see the file's docstring"
    print(f"{e.path}\n  {e.purpose}\n  options: {options}\n  run: {e.run}\n")
  print(f"configs={len(listed)}")
  return 0
