#!/usr/bin/env bash
# Runs jaxvision on this machine's GPU(s) with the repository's .venv.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: launch/gpu/local.sh [flags] [--] SUBCOMMAND [ARGS...]

Runs 'python -m jaxvision.main SUBCOMMAND ARGS...' (SUBCOMMAND: train, eval,
predict, params, flops) or, for SUBCOMMAND 'sweep', 'python -m launch.sweep
ARGS...', with the repository's .venv (create it with 'make venv' and the
[gpu] extra) and GPU settings for JAX.

  --gpus LIST         visible GPUs, e.g. 0 or 0,1 [CUDA_VISIBLE_DEVICES,
                      default: all]
  --mem-fraction F    fraction of GPU memory JAX preallocates
                      [XLA_PYTHON_CLIENT_MEM_FRACTION, default: 0.9]
  --no-preallocate    allocate GPU memory on demand (slower, but leaves room
                      for other processes) [XLA_PYTHON_CLIENT_PREALLOCATE=false]
  --platform P        JAX backend [JAX_PLATFORMS, default: cuda]; cuda fails
                      loudly when no GPU is usable instead of falling back to
                      the CPU
  --dry-run           print the environment and command instead [DRY_RUN=1]
  -h, --help          show this help

Examples:
  launch/gpu/local.sh train --config configs/reclip/smoke.py --workdir workdirs/smoke
  launch/gpu/local.sh --gpus 1 sweep --config configs/reclip/smoke.py \\
    --workdir workdirs/sweep --mode local
USAGE
}

die() {
  echo "error: $*" >&2
  exit 2
}

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv}"
DRY_RUN="${DRY_RUN:-0}"
MEM_FRACTION="${XLA_PYTHON_CLIENT_MEM_FRACTION:-0.9}"
PREALLOCATE="${XLA_PYTHON_CLIENT_PREALLOCATE:-true}"
# NOTE: JAX_PLATFORMS is deliberately not inherited: a shell that exported
# JAX_PLATFORMS=cpu (as the tests do) would silently train on the CPU.
PLATFORM="cuda"
GPUS="${CUDA_VISIBLE_DEVICES:-}"

value_of() {
  [[ $# -ge 2 ]] || die "$1 needs a value (see --help)."
  VALUE="$2"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --gpus=*) GPUS="${1#*=}"; shift ;;
    --gpus) value_of "$@"; GPUS="$VALUE"; shift 2 ;;
    --mem-fraction=*) MEM_FRACTION="${1#*=}"; shift ;;
    --mem-fraction) value_of "$@"; MEM_FRACTION="$VALUE"; shift 2 ;;
    --platform=*) PLATFORM="${1#*=}"; shift ;;
    --platform) value_of "$@"; PLATFORM="$VALUE"; shift 2 ;;
    --no-preallocate) PREALLOCATE="false"; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown flag '$1' (see --help)." ;;
    *) break ;;
  esac
done

[[ $# -gt 0 ]] || die "no subcommand: e.g. launch/gpu/local.sh train" \
  "--config configs/x/y.py --workdir workdirs/run (see --help)."
case "$1" in
  train|eval|predict|params|flops) set -- python -m jaxvision.main "$@" ;;
  sweep) shift; set -- python -m launch.sweep "$@" ;;
  *) die "unknown subcommand '$1': use train, eval, predict, params, flops" \
       "or sweep." ;;
esac
[[ "$MEM_FRACTION" =~ ^(0?\.[0-9]+|1(\.0*)?)$ ]] ||
  die "--mem-fraction '$MEM_FRACTION' must be a number in (0, 1], e.g. 0.9."
[[ -z "$GPUS" || "$GPUS" =~ ^[0-9]+(,[0-9]+)*$ ]] ||
  die "--gpus '$GPUS' must be GPU indices like 0 or 0,1."
[[ "$PLATFORM" =~ ^(cuda|rocm|gpu|cpu)$ ]] ||
  die "--platform '$PLATFORM' must be cuda, rocm, gpu or cpu."
[[ -f "$VENV/bin/activate" || "$DRY_RUN" == 1 ]] ||
  die "no virtualenv at $VENV: create it with 'make venv' (with the [gpu]" \
      "extra) or point VENV at one."

ENVS=(
  "XLA_PYTHON_CLIENT_MEM_FRACTION=$MEM_FRACTION"
  "XLA_PYTHON_CLIENT_PREALLOCATE=$PREALLOCATE"
  "JAX_PLATFORMS=$PLATFORM"
  # NOTE: launch.sweep lives in the repository, not in the installed package.
  "PYTHONPATH=$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
)
[[ -z "$GPUS" ]] || ENVS+=("CUDA_VISIBLE_DEVICES=$GPUS")

COMMAND=(env "${ENVS[@]}" "$VENV/bin/python" "${@:2}")
if [[ "$DRY_RUN" == 1 ]]; then
  line="$(printf '%q ' "${COMMAND[@]}")"
  echo "${line% }"
  exit 0
fi
# NOTE: activating also puts the venv's bin/ first on PATH, for the tools
# (tensorboard, ...) that a run may start.
# shellcheck source=/dev/null
source "$VENV/bin/activate"
exec "${COMMAND[@]}"
