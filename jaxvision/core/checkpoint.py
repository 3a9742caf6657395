"""Checkpoints with orbax: async save, keep-N, SIGTERM save, robust resume.

This module owns the checkpoint layout; nothing else imports orbax or names
the paths. A run's checkpoints live in `directory(workdir)`, WORKDIR/
checkpoints/, one step directory per saved global step (`step_directory`),
and damaged steps move to checkpoints/corrupt/. With `select_best`, the
best step on the validation split is kept in checkpoints/best/ (one step,
its own manager, never removed by the latest ones' keep-N). `Manager` saves
and restores
for the trainer; `read_state` and `read_params` read a step for `init_from`,
tools and tests. A checkpoint at global step s holds three items:
  state - step, rng, params and optimizer state of the trainable roles and
          the model state (BatchNorm statistics) of every role that has any,
  data  - the input iterator's state (JSON) after the batches of steps < s,
  meta  - the stage index/name the state belongs to and the device-hours so far.
Frozen roles are never saved; they are reloaded from their source.

Restoring walks from the newest step down: a checkpoint that does not
restore (a damaged or missing file) or restores with NaN/Inf in a floating
array (bytes flipped in place) is moved aside into `checkpoints/corrupt/`
(never deleted) with a warning, so a run resumes from the newest checkpoint
that is intact and later saves the same steps again.
"""

import logging
import signal
import threading
from typing import Any, Callable

import jax
from jax.experimental import multihost_utils
import jax.numpy as jnp
import orbax.checkpoint as ocp
from etils import epath

from jaxvision import user_errors
from jaxvision.core import sharding

CORRUPT = "corrupt"  # the folder under checkpoints/ damaged steps move to
BEST = "best"  # the folder under checkpoints/ of the best step (select_best)
STATE, DATA, META = "state", "data", "meta"  # a step's items


def directory(workdir: str | epath.Path) -> epath.Path:
  """WORKDIR/checkpoints (absolute: orbax needs absolute paths)."""
  return epath.Path(workdir).absolute() / "checkpoints"


def step_directory(workdir: str | epath.Path, step: int) -> epath.Path:
  """The folder of one saved step."""
  return directory(workdir) / str(step)


def steps(workdir: str | epath.Path) -> list[int]:
  """The saved steps of a run (not those moved to corrupt/), ascending."""
  folder = directory(workdir)
  if not folder.exists():
    return []
  return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())


def read_state(
    workdir: str | epath.Path,
    step: int | None = None,
    *,
    like: Any = None,
    placement: jax.sharding.Sharding | None = None,
) -> tuple[int, dict[str, Any]]:
  """(step, the `state` item of `step`) of a run; default its newest step.

  Args:
    workdir: the run's directory.
    step: the step to read; None (or 0) for the newest.
    like: a tree of arrays or ShapeDtypeStructs to restore into (keeps
      optax's state classes); default the stored structure (plain dicts).
    placement: where the arrays go, whatever topology wrote them; default
      the first local device.

  Raises:
    FileNotFoundError: `workdir` has no checkpoints, or not that step.
  """
  folder = directory(workdir)
  if not folder.exists():
    raise FileNotFoundError(
        f"{workdir} has no checkpoints/ folder; point at the workdir of a "
        "finished or running jaxvision run."
    )
  placement = placement or jax.sharding.SingleDeviceSharding(
      jax.local_devices()[0]
  )
  with ocp.CheckpointManager(folder, item_names=(STATE,)) as manager:
    step = step or manager.latest_step()
    if step is None or step not in manager.all_steps():
      raise FileNotFoundError(
          f"No checkpoint step {step or ''} in {folder} (it has "
          f"{sorted(manager.all_steps())})."
      )
    # NOTE: a target with this run's devices lets a checkpoint written on
    # another topology load (orbax's stored shardings name the old devices).
    target = jax.tree.map(
        lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=placement),
        manager.item_metadata(step)[STATE] if like is None else like,
    )
    restored = manager.restore(
        step,
        args=ocp.args.Composite(**{STATE: ocp.args.StandardRestore(target)}),
    )
  return step, restored[STATE]


def read_params(
    workdir: str | epath.Path,
    step: int | None = None,
    *,
    placement: jax.sharding.Sharding | None = None,
) -> tuple[int, dict[str, Any], dict[str, Any]]:
  """(step, {role: params}, {role: model state}) of a run's checkpoint.

  Only trainable roles (and roles an earlier stage trained) have params in a
  checkpoint; see `read_state` for the arguments.
  """
  step, state = read_state(workdir, step, placement=placement)
  params = dict(state["params"]) | dict(state.get("frozen", {}))
  return step, params, dict(state.get("model_state", {}))


class CheckpointMismatchError(ValueError):
  """Stored arrays do not fit the model being trained."""


@jax.jit
def all_finite(tree: Any) -> jax.Array:
  """True when every floating leaf of `tree` is free of NaN/Inf (on device)."""
  leaves = [
      jnp.all(jnp.isfinite(x))
      for x in jax.tree.leaves(tree)
      if jnp.issubdtype(x.dtype, jnp.inexact)
  ]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def _flat_shapes(tree: Any) -> dict[str, tuple[int, ...]]:
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return {
      sharding.path_name(p): tuple(getattr(x, "shape", ())) for p, x in flat
  }


def check_compatible(loaded: Any, expected: Any, what: str) -> None:
  """Raises CheckpointMismatchError listing key/shape differences."""
  got, want = _flat_shapes(loaded), _flat_shapes(expected)
  missing = sorted(set(want) - set(got))
  unexpected = sorted(set(got) - set(want))
  reshaped = sorted(
      f"{k}: {got[k]} vs expected {want[k]}"
      for k in set(got) & set(want)
      if got[k] != want[k]
  )
  if missing or unexpected or reshaped:
    lines = [f"{what} does not match the model:"]
    for title, items in (
        ("missing", missing),
        ("unexpected", unexpected),
        ("shape mismatch", reshaped),
    ):
      if items:
        shown = items[:20] + (
            [f"... {len(items) - 20} more"] if len(items) > 20 else []
        )
        lines.append(f"  {title} ({len(items)}): " + ", ".join(shown))
    lines.append(
        "  Check that the checkpoint was trained with the same "
        "architecture config (or use a new workdir)."
    )
    raise CheckpointMismatchError("\n".join(lines))


class Manager:
  """Wraps `ocp.CheckpointManager` with the engine's policies."""

  def __init__(
      self,
      workdir: str,
      *,
      max_to_keep: int = 3,
      async_save: bool = True,
      best: bool = False,
  ):
    self.directory = directory(workdir) / BEST if best else directory(workdir)
    if max_to_keep is not None and max_to_keep < 1:
      raise user_errors.InvalidValueError(
          f"checkpoint.keep={max_to_keep} keeps no checkpoints "
          f"({self.directory}); set --config.checkpoint.keep to >= 1 (how "
          "many of the newest are kept)"
      )
    options = ocp.CheckpointManagerOptions(
        max_to_keep=max_to_keep,
        enable_async_checkpointing=async_save,
        create=True,
    )
    self._manager = ocp.CheckpointManager(
        self.directory,
        options=options,
        item_handlers={
            STATE: ocp.StandardCheckpointHandler(),
            DATA: ocp.JsonCheckpointHandler(),
            META: ocp.JsonCheckpointHandler(),
        },
    )

  def save(
      self,
      step: int,
      state: Any,
      data_state: dict[str, Any],
      meta: dict[str, Any],
  ) -> None:
    """Starts an (async) save; returns once device buffers are copied."""
    self._manager.save(
        step,
        args=ocp.args.Composite(
            **{
                STATE: ocp.args.StandardSave(state),
                DATA: ocp.args.JsonSave(data_state),
                META: ocp.args.JsonSave(meta),
            }
        ),
        force=True,
    )

  def steps(self) -> list[int]:
    self._manager.reload()
    return sorted(self._manager.all_steps())

  def read_meta(self, step: int) -> dict[str, Any] | None:
    """The meta item of `step`, or None when it cannot be read."""
    try:
      out = self._manager.restore(
          step, args=ocp.args.Composite(**{META: ocp.args.JsonRestore()})
      )
      return dict(out[META])
    except Exception as e:  # pylint: disable=broad-except
      logging.warning(
          "Checkpoint %d in %s has unreadable metadata (%s).",
          step,
          self.directory,
          e,
      )
      return None

  def restore(self, step: int, abstract_state: Any) -> tuple[Any, dict, dict]:
    """Restores (state, data_state, meta) of `step` onto `abstract_state`.

    `abstract_state` is a pytree of `jax.ShapeDtypeStruct` with shardings;
    restored arrays are placed directly with those shardings.
    """
    out = self._manager.restore(
        step,
        args=ocp.args.Composite(
            **{
                STATE: ocp.args.StandardRestore(abstract_state),
                DATA: ocp.args.JsonRestore(),
                META: ocp.args.JsonRestore(),
            }
        ),
    )
    return out[STATE], dict(out[DATA]), dict(out[META])

  def restore_latest(
      self, abstract_for: Callable[[dict[str, Any]], Any]
  ) -> tuple[int, Any, dict, dict] | None:
    """Restores the newest intact checkpoint; None if there is none.

    A step that cannot be read or restores non-finite floats is moved aside
    (`move_aside`) and the next older step is tried. A step whose params do
    not fit the model raises CheckpointMismatchError instead: that is a config
    change, and its files are left where they are.

    Args:
      abstract_for: meta -> abstract state to restore onto (the state's shape
        depends on the stage the checkpoint belongs to).
    """
    for step in reversed(self.steps()):
      meta = self.read_meta(step)
      if meta is None:
        self.move_aside(step, "its meta item cannot be read")
        continue
      abstract = abstract_for(meta)
      try:
        stored = self._manager.item_metadata(step)[STATE]
      except Exception:  # pylint: disable=broad-except
        stored = None
      if stored is not None:
        check_compatible(
            stored["params"],
            abstract["params"],
            f"Checkpoint {step} in {self.directory}",
        )
        check_compatible(
            stored.get("model_state", {}),
            abstract.get("model_state", {}),
            f"The model state of checkpoint {step} in " f"{self.directory}",
        )
      try:
        state, data_state, meta = self.restore(step, abstract)
      except Exception as e:  # pylint: disable=broad-except
        # NOTE: orbax raises many types for damaged files (ValueError,
        # FileNotFoundError, tensorstore errors); all mean "unusable".
        self.move_aside(step, f"it does not restore: {type(e).__name__}: {e}")
        continue
      if not bool(all_finite(state)):
        # Nothing non-finite is ever saved (the trainer checks before each
        # save), so NaN/Inf here means bytes changed on disk.
        self.move_aside(step, "it restores with NaN/Inf in its arrays")
        continue
      return step, state, data_state, meta
    return None

  def move_aside(self, step: int, reason: str) -> None:
    """Moves step `step` into `checkpoints/corrupt/` and forgets it.

    The step's files are kept for inspection, and the step number is free
    again, so a resumed run saves it anew (instead of failing with orbax's
    StepAlreadyExistsError). Process 0 moves; all processes then reload.
    """
    if jax.process_index() == 0:
      source = self.directory / str(step)
      folder = self.directory / CORRUPT
      target, n = folder / str(step), 1
      try:
        folder.mkdir(parents=True, exist_ok=True)
        while target.exists():
          target, n = folder / f"{step}.{n}", n + 1
        source.rename(target)
        logging.warning(
            "Checkpoint at step %d in %s is damaged (%s); moved it to %s and "
            "falling back to the previous one.",
            step,
            self.directory,
            reason,
            target,
        )
      except OSError as e:
        # NOTE: e.g. `eval` on a read-only copy: the step is skipped in place.
        logging.warning(
            "Checkpoint at step %d in %s is damaged (%s) and could not be "
            "moved to %s (%s); falling back to the previous one.",
            step,
            self.directory,
            reason,
            folder,
            e,
        )
    if jax.process_count() > 1:
      multihost_utils.sync_global_devices(f"checkpoint_move_aside_{step}")
    self._manager.reload()

  def wait(self) -> None:
    """Blocks until pending async saves are committed."""
    self._manager.wait_until_finished()

  def close(self) -> None:
    self._manager.wait_until_finished()
    self._manager.close()


def restore_for_stage(
    workdir: str, abstract_for: Callable[[dict[str, Any]], Any]
) -> tuple[int, Any, dict, dict] | None:
  """`Manager.restore_latest` of a run without training it (`eval`,
  `predict`): (step, state, data state, meta) or None. A workdir without
  checkpoints is left as it is (orbax's manager would create the folder)."""
  if not directory(workdir).exists():
    return None
  manager = Manager(workdir, async_save=False)
  try:
    return manager.restore_latest(abstract_for)
  finally:
    manager.close()


class PreemptionWatcher:
  """Turns SIGTERM into a flag the train loop polls between steps.

  TPU/GCE preemption and `kill` send SIGTERM; the loop then saves a checkpoint
  and exits cleanly. Multi-host runs additionally agree on a common step via
  `jax.experimental.multihost_utils.reached_preemption_sync_point`.
  """

  def __init__(self):
    self._flag = threading.Event()
    self._previous = None

  def __enter__(self) -> "PreemptionWatcher":
    # NOTE: in multi-host runs jax.distributed's preemption notifier owns
    # SIGTERM; a Python handler here would swallow the signal it relies on.
    if (
        jax.process_count() == 1
        and threading.current_thread() is threading.main_thread()
    ):
      self._previous = signal.signal(signal.SIGTERM, self._on_signal)
    return self

  def __exit__(self, *exc) -> None:
    if self._previous is not None:
      signal.signal(signal.SIGTERM, self._previous)

  def _on_signal(self, signum, frame) -> None:
    del signum, frame
    logging.warning("SIGTERM received: saving a checkpoint and stopping.")
    self._flag.set()

  def should_stop(self, step: int) -> bool:
    if jax.process_count() > 1:
      # NOTE: a flag set on one host only would make that host enter the
      # (collective) save alone and hang; the sync point is agreed by all.
      return multihost_utils.reached_preemption_sync_point(step)
    return self._flag.is_set()
