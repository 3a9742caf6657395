"""Explicit name -> builder registries with a "did you mean" input error.

Every method's data module keeps a plain dict of its datasets (no
registration at import time) and looks the configured name up here, so an
unknown name is the same one-line input error everywhere (exit 2):

  error: unknown dataset 'celeba_foldr' (config.data.name); did you mean
  'celeba_folder'? Known: celeb_a, celeba_folder, rafd, synthetic_faces
"""

import difflib
from typing import Mapping, TypeVar

from jaxvision import user_errors

T = TypeVar("T")


def lookup(
    registry: Mapping[str, T], name: str, where: str, what: str = "dataset"
) -> T:
  """`registry[name]`, or an `UnknownNameError` naming the closest name.

  Args:
    registry: known names -> builders (functions, classes, constants).
    name: the configured name.
    where: the config key that holds it, e.g. "config.data.name".
    what: what the names are, for the message ("dataset", "source kind").
  """
  if name in registry:
    return registry[name]
  known = sorted(registry)
  close = difflib.get_close_matches(str(name), known, n=1)
  hint = f"did you mean {close[0]!r}? " if close else ""
  raise user_errors.UnknownNameError(
      user_errors.message(
          f"unknown {what} {name!r}", where, f"{hint}Known: {', '.join(known)}"
      )
  )
