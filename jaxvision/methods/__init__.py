"""Registry of methods: name -> module defining a module-level `METHOD`.

Modules are imported on lookup (no import-time registration). A config may
also name any importable method as "package.module:ATTRIBUTE", which is how a
user's own method plugs in without editing this file. Importing this package
imports no method and not the engine (so not jax): configs import constants
from method packages (e.g. `jaxvision.methods.akd.faces`) and must load fast.
"""

import difflib
import importlib
from typing import Any

from jaxvision import user_errors

METHODS = {
    "akd": "jaxvision.methods.akd.method",
    "emfa": "jaxvision.methods.emfa.method",
    "ldm": "jaxvision.methods.ldm.method",
    "ldznet": "jaxvision.methods.ldznet.method",
    "ldznet_probe": "jaxvision.methods.ldznet.probe",
    "lmr": "jaxvision.methods.lmr.method",
    "monoindoor": "jaxvision.methods.monoindoor.method",
    "reclip": "jaxvision.methods.reclip.method",
    "sharingan": "jaxvision.methods.sharingan.method",
    "vae_attention": "jaxvision.methods.vae_attention.method",
    "violence": "jaxvision.methods.violence.method",
}


def get(name: str) -> Any:
  """The Method called `name` (a registry name or "module:attribute")."""
  if ":" in name:
    module_name, attr = name.split(":", 1)
  elif name in METHODS:
    module_name, attr = METHODS[name], "METHOD"
  else:
    close = difflib.get_close_matches(name, list(METHODS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise user_errors.InvalidValueError(
        f"Unknown method {name!r} (config.method).{hint} Registered methods: "
        f"{', '.join(sorted(METHODS))} (or use 'module:ATTR')."
    )
  # pylint: disable-next=g-import-not-at-top
  from jaxvision.core import method as method_lib

  method = getattr(importlib.import_module(module_name), attr, None)
  if not isinstance(method, method_lib.Method):
    raise user_errors.InvalidValueError(
        f"{module_name}:{attr} is not a jaxvision Method (config.method)."
    )
  return method
