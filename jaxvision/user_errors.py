"""Errors in how a run was asked for, which the user fixes: one line, exit 2.

The CLI prints them as `error: <what is wrong> (<file or key>); <how to fix
it>` without a traceback or an exception name. This module imports nothing
heavy, so the data loaders and the workdir code raise them without importing
the engine.
"""


class InputError(Exception):
  """A bad input: a data file or folder, the workdir, a config value."""


class MissingInputError(InputError, FileNotFoundError):
  """An input that does not exist (a FileNotFoundError too)."""


def message(what: str, where: str, fix: str) -> str:
  """`<what is wrong> (<where>); <how to fix it>`."""
  return f"{what} ({where}); {fix}"


class InvalidValueError(InputError, ValueError):
  """A config value or data content the run cannot use (a batch size that
  does not split over the hosts, an empty split); a ValueError too, which is
  what such checks raised before they were input errors."""


class UnknownNameError(InvalidValueError):
  """A name that no registry knows (a dataset, a source kind)."""
