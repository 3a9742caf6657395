#!/usr/bin/env bash
# Creates the python venv with jaxvision installed on every worker.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: launch/tpu/setup.sh [flags]

On every worker, in \$TPU_REMOTE_DIR (copied there by copy.sh): installs tmux
if missing, creates .venv, runs pip install -e '.[EXTRAS]' (what 'make venv'
does locally), then prints each worker's view of the TPU devices as a check.

  --python PYTHON     interpreter that creates the venv [default: python3]
  --extras EXTRAS     pyproject extras to install [default: tpu]
  --skip-check        do not import jax and count devices afterwards

$COMMON_USAGE
USAGE
}

# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PYTHON="python3"
EXTRAS="tpu"
CHECK=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --python|--python=*) flag_value "$@"; PYTHON="$VALUE"; shift "$SHIFT" ;;
    --extras|--extras=*) flag_value "$@"; EXTRAS="$VALUE"; shift "$SHIFT" ;;
    --skip-check) CHECK=0; shift ;;
    *)
      require_common_flag "$@"
      shift "$SHIFT" ;;
  esac
done
check_settings
[[ "$PYTHON" =~ ^[A-Za-z0-9_./-]+$ ]] ||
  die "--python '$PYTHON' must be an interpreter name or path (e.g. python3.11)."
[[ "$EXTRAS" =~ ^[A-Za-z0-9_,-]+$ ]] ||
  die "--extras '$EXTRAS' must be a comma-separated list (e.g. tpu,test)."

# NOTE: TPU VM images may lack tmux and the venv module (Debian splits it into
# the pythonX-venv package); without it `python -m venv` fails but leaves a
# .venv with no pip behind, hence the test for pip and the rm before retrying.
steps=(
  "cd $TPU_REMOTE_DIR"
  "{ command -v tmux >/dev/null || { sudo apt-get update -qq && sudo apt-get install -y -qq tmux; }; }"
  "{ test -x .venv/bin/pip || $PYTHON -m venv .venv || { rm -rf .venv && sudo apt-get update -qq && sudo apt-get install -y -qq $PYTHON-venv && $PYTHON -m venv .venv; }; }"
  ".venv/bin/pip install -q --upgrade pip"
  ".venv/bin/pip install -q -e '.[$EXTRAS]'"
)
if [[ "$CHECK" == 1 ]]; then
  steps+=(".venv/bin/python -c 'import jax; print(f\"worker {jax.process_index()}: {jax.local_device_count()} local / {jax.device_count()} global devices\")'")
fi

command=""
for step in "${steps[@]}"; do
  command+="${command:+ && }$step"
done
on_workers "$command" all
