"""Optax optimizers from config: one per role, per stage, with schedules.

A stage's `optim` is either one optimizer config (used for every trainable
role) or a dict `role -> optimizer config`. An optimizer config:

  name: adafactor | adamw | adam | sgd | frozen
  lr: peak learning rate
  warmup_steps: linear warmup 0 -> lr (the schedule restarts every stage)
  decay: linear | cosine | constant   (decay to `end_lr` at the stage's end)
  end_lr: final learning rate (default 0)
  weight_decay: decoupled weight decay coefficient (default 0)
  wd_mode: lr_scaled | schedule_scaled | absolute (see `_weight_decay`)
  wd_exclude: regex over param paths never decayed (default: ndim < 2 leaves,
    i.e. biases, norms and scalars such as a temperature, are never decayed)
  grad_clip_norm: global-norm clipping before the optimizer (default none)
  freeze: regex over param paths that get zero updates (partial freezing)
  ema_decay: keep an EMA of the role's params in its optimizer state, used to
    evaluate (see `ema.py`); in (0, 1), e.g. 0.9999 (default none: no EMA)
  ema_warmup: EMA decay min(ema_decay, (1 + n) / (10 + n)) at the n-th update,
    as LitEma (default True)
  + optimizer-specific keys: momentum, decay_rate, clipping_threshold (adafactor);
    b1, b2, eps (adam/adamw); momentum, nesterov (sgd).
"""

import difflib
import math
import re
from typing import Any, Callable, Mapping

import jax
import ml_collections
import optax

from jaxvision import user_errors
from jaxvision.core import ema

Schedule = Callable[[jax.Array], jax.Array]


def schedule(cfg: ml_collections.ConfigDict, total_steps: int) -> Schedule:
  """Linear warmup to `lr`, then decay to `end_lr` at `total_steps`."""
  peak = float(cfg.lr)
  end = float(cfg.get("end_lr", 0.0))
  warmup = int(cfg.get("warmup_steps", 0))
  decay = cfg.get("decay", "linear")
  decay_steps = max(total_steps - warmup, 1)
  decays = {
      "linear": lambda: optax.linear_schedule(peak, end, decay_steps),
      "cosine": lambda: optax.cosine_decay_schedule(
          peak, decay_steps, alpha=end / peak if peak else 0.0
      ),
      "constant": lambda: optax.constant_schedule(peak),
  }
  if decay not in decays:
    raise user_errors.InvalidValueError(_unknown("decay", decay, decays))
  main = decays[decay]()
  if not warmup:
    return main
  return optax.join_schedules(
      [optax.linear_schedule(0.0, peak, warmup), main], [warmup]
  )


def _unknown(kind: str, name: str, valid: Mapping[str, Any]) -> str:
  close = difflib.get_close_matches(name, list(valid), n=1)
  hint = f" Did you mean {close[0]!r}?" if close else ""
  return f"Unknown {kind} {name!r}.{hint} Valid: {', '.join(sorted(valid))}."


def path_mask(
    params: Any,
    pattern: str | None,
    *,
    default: Callable[[str, jax.Array], bool],
) -> Any:
  """A bool pytree: `pattern` matched against 'a/b/kernel' paths, else default."""
  regex = re.compile(pattern) if pattern else None

  def leaf(path, x):
    name = "/".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path)
    if regex is not None and regex.search(name):
      return True
    return default(name, x)

  return jax.tree_util.tree_map_with_path(leaf, params)


def _weight_decay(cfg, sched: Schedule) -> tuple[list[Any], list[Any]]:
  """Weight-decay transforms to put before / after the learning-rate scaling.

  lr_scaled: shrink = lr_t * wd (decay added before LR scaling, AdamW-style).
  schedule_scaled: shrink = wd * lr_t / peak_lr (big_vision convention).
  absolute: shrink = wd every step, independent of the schedule.
  NOTE: optax.adafactor's own `weight_decay_rate` is added after LR scaling,
  i.e. absolute; with wd = 0.01 that shrinks weights 1% per step.
  """
  wd = float(cfg.get("weight_decay", 0.0))
  if not wd:
    return [], []
  exclude = cfg.get("wd_exclude", None)
  mask = lambda p: path_mask(p, exclude, default=lambda n, x: x.ndim < 2)
  decay_mask = lambda p: jax.tree.map(lambda excluded: not excluded, mask(p))
  mode = cfg.get("wd_mode", "lr_scaled")
  peak = float(cfg.lr) or 1.0
  modes = {
      "lr_scaled": ([optax.add_decayed_weights(wd, decay_mask)], []),
      "schedule_scaled": (
          [],
          [
              optax.add_decayed_weights(
                  lambda count: -wd * sched(count) / peak, decay_mask
              )
          ],
      ),
      "absolute": ([], [optax.add_decayed_weights(-wd, decay_mask)]),
  }
  if mode not in modes:
    raise user_errors.InvalidValueError(_unknown("wd_mode", mode, modes))
  return modes[mode]


def _core(cfg) -> list[optax.GradientTransformation]:
  """The optimizer's update rule without learning rate or weight decay."""
  name = cfg.name
  if name == "adafactor":
    # NOTE: factored second moments, no parameter-scale multiplication (optax's
    # default turns the LR into a relative step size), update clipping and
    # momentum, as the RECLIP spec (5.2) prescribes.
    tx = [optax.scale_by_factored_rms(decay_rate=cfg.get("decay_rate", 0.8))]
    if cfg.get("clipping_threshold", 1.0) is not None:
      tx.append(optax.clip_by_block_rms(cfg.get("clipping_threshold", 1.0)))
    if cfg.get("momentum", 0.9) is not None:
      tx.append(optax.ema(cfg.get("momentum", 0.9), debias=False))
    return tx
  if name in ("adam", "adamw"):
    return [
        optax.scale_by_adam(
            b1=cfg.get("b1", 0.9),
            b2=cfg.get("b2", 0.999),
            eps=cfg.get("eps", 1e-8),
        )
    ]
  if name == "sgd":
    momentum = cfg.get("momentum", 0.0)
    return (
        [optax.trace(decay=momentum, nesterov=cfg.get("nesterov", False))]
        if momentum
        else []
    )
  raise user_errors.InvalidValueError(_unknown("optimizer", name, OPTIMIZERS))


# name -> what it is; "frozen" marks a role that is not trained.
OPTIMIZERS = {
    "adafactor": "factored second moments + update clipping + momentum",
    "adam": "Adam (no weight decay unless weight_decay is set)",
    "adamw": "Adam with decoupled weight decay (set weight_decay)",
    "sgd": "SGD, optional (Nesterov) momentum",
    "frozen": "no optimizer: the role is not trained",
}


def make(
    cfg: ml_collections.ConfigDict, total_steps: int
) -> tuple[optax.GradientTransformation, Schedule]:
  """Builds one role's optimizer for a stage of `total_steps` steps."""
  if cfg.name not in OPTIMIZERS or cfg.name == "frozen":
    raise user_errors.InvalidValueError(
        _unknown("optimizer", cfg.name, OPTIMIZERS)
    )
  sched = schedule(cfg, total_steps)
  before_lr, after_lr = _weight_decay(cfg, sched)
  tx = []
  if cfg.get("grad_clip_norm", None):
    tx.append(optax.clip_by_global_norm(cfg.grad_clip_norm))
  tx += _core(cfg) + before_lr + [optax.scale_by_learning_rate(sched)]
  tx += after_lr
  chain = optax.chain(*tx)
  if cfg.get("freeze", None):
    chain = _with_frozen(chain, cfg.freeze)
  ema_decay = cfg.get("ema_decay", None)
  if ema_decay:
    if not 0 < ema_decay < 1:
      raise user_errors.InvalidValueError(
          f"Optimizer key ema_decay must lie in (0, 1), e.g. "
          f"0.9999 (or be unset for no EMA); got {ema_decay}."
      )
    chain = ema.with_param_ema(
        chain, float(ema_decay), warmup=bool(cfg.get("ema_warmup", True))
    )
  return chain, sched


def _with_frozen(
    tx: optax.GradientTransformation, pattern: str
) -> optax.GradientTransformation:
  """Zero updates (and no optimizer state) for params matching `pattern`."""

  def labels(params):
    frozen = path_mask(params, pattern, default=lambda n, x: False)
    return jax.tree.map(lambda f: "frozen" if f else "train", frozen)

  return optax.multi_transform(
      {"train": tx, "frozen": optax.set_to_zero()}, labels
  )


def trained_roles(
    optim_cfg: ml_collections.ConfigDict, roles: list[str]
) -> set[str]:
  """The roles a stage's optimizer config trains (not name='frozen')."""
  if "name" in optim_cfg:
    return set(roles) if optim_cfg.name != "frozen" else set()
  return {
      role
      for role in roles
      if role in optim_cfg and optim_cfg[role].name != "frozen"
  }


def per_role(
    optim_cfg: ml_collections.ConfigDict, roles: list[str], total_steps: int
) -> tuple[dict[str, Any], dict[str, Schedule]]:
  """Optimizers and schedules for each role; roles set to 'frozen' get none."""
  if "name" in optim_cfg:
    cfgs = {role: optim_cfg for role in roles}
  else:
    unknown = set(optim_cfg) - set(roles)
    if unknown:
      raise user_errors.InvalidValueError(
          f"Optimizer config names unknown roles {sorted(unknown)}"
          f"; the method's roles are {sorted(roles)}."
      )
    missing = set(roles) - set(optim_cfg)
    if missing:
      raise user_errors.InvalidValueError(
          f"No optimizer config for roles {sorted(missing)}; "
          "give one per role (name='frozen' to freeze a role)."
      )
    cfgs = {role: optim_cfg[role] for role in roles}
  txs, scheds = {}, {}
  trained = trained_roles(optim_cfg, roles)
  for role in (r for r in roles if r in trained):  # keep the roles' order
    txs[role], scheds[role] = make(cfgs[role], total_steps)
  return txs, scheds


def count_params(tree: Any) -> int:
  """Number of scalars in a pytree (works on abstract ShapeDtypeStructs)."""
  return sum(math.prod(x.shape) for x in jax.tree.leaves(tree))
