"""The one rule for how the CLI ends on an exception, and its exit code.

  143   the run was preempted (SIGTERM; a checkpoint was saved): resume it
  2     a config or input error (`config_lib.ConfigError`,
        `user_errors.InputError`): one line saying what and how to fix it
  1     another error the user acts on: a checkpoint that does not fit the
        model, NaN/Inf in training, a missing file
  None  a bug: the CLI re-raises it with its traceback

A bare `ValueError` is a bug, not a user error: code that rejects a user's
input raises an input error (a `ValueError` subclass where callers catch
that), so the CLI never hides a programming error behind a one-line message.
"""

from jaxvision import config_lib
from jaxvision import user_errors

EXIT_PREEMPTED = 143  # 128 + SIGTERM: the run stopped early, resume it.
EXIT_INPUT_ERROR = 2
EXIT_RUN_ERROR = 1

INPUT_ERRORS = (config_lib.ConfigError, user_errors.InputError)


def exit_code(error: BaseException) -> int | None:
  """The exit code of a user error (see the module docstring); None for a
  bug."""
  if isinstance(error, INPUT_ERRORS):
    return EXIT_INPUT_ERROR
  # NOTE: the engine (and so jax) is imported only here, after the input
  # errors: config and input errors are answered in well under 3 s.
  from jaxvision.core import checkpoint  # pylint: disable=g-import-not-at-top
  from jaxvision.core import metrics  # pylint: disable=g-import-not-at-top
  from jaxvision.core import train  # pylint: disable=g-import-not-at-top

  if isinstance(error, train.Preempted):
    return EXIT_PREEMPTED
  if isinstance(
      error,
      (
          checkpoint.CheckpointMismatchError,
          metrics.NonFiniteError,
          FileNotFoundError,
      ),
  ):
    return EXIT_RUN_ERROR
  return None
