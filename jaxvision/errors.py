"""The exceptions the CLI reports as one clear message instead of a traceback."""

from jaxvision import config_lib
from jaxvision import user_errors
from jaxvision.core import checkpoint
from jaxvision.core import metrics
from jaxvision.core import train

USER_ERRORS = (config_lib.ConfigError, checkpoint.CheckpointMismatchError,
               metrics.NonFiniteError, train.Preempted, FileNotFoundError,
               ValueError, user_errors.InputError)


def exit_code(error: BaseException) -> int:
  """143 for a preempted run (resume it), 2 for config and input errors, else
  1."""
  if isinstance(error, train.Preempted):
    return 143
  if isinstance(error, (config_lib.ConfigError, user_errors.InputError)):
    return 2
  return 1
