#!/usr/bin/env bash
# Shows the log of a run started by run.sh (or lists the runs).
set -euo pipefail

usage() {
  cat <<USAGE
Usage: launch/tpu/logs.sh [flags]

Tails \$TPU_REMOTE_DIR/logs/SESSION.log on one worker (worker 0 logs the
metrics; other workers matter when one of them fails).

  --session NAME      the run's session name [default: jaxvision]
  --worker W          worker index, or 'all' [default: 0]
  --lines N           lines of history to show [default: 100]
  --no-follow         print and exit instead of following the log
  --list              list the tmux sessions and log files on the workers

$COMMON_USAGE

To watch the live tmux session instead:
  gcloud compute tpus tpu-vm ssh NAME --zone ZONE --worker 0 -- -t tmux attach -t SESSION
USAGE
}

# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SESSION="jaxvision"
WORKER="0"
LINES_SHOWN="100"
FOLLOW=1
LIST=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --session|--session=*) flag_value "$@"; SESSION="$VALUE"; shift "$SHIFT" ;;
    --worker|--worker=*) flag_value "$@"; WORKER="$VALUE"; shift "$SHIFT" ;;
    --lines|--lines=*) flag_value "$@"; LINES_SHOWN="$VALUE"; shift "$SHIFT" ;;
    --no-follow) FOLLOW=0; shift ;;
    --list) LIST=1; shift ;;
    *)
      require_common_flag "$@"
      shift "$SHIFT" ;;
  esac
done
check_settings
check_session "$SESSION"
[[ "$WORKER" =~ ^([0-9]+|all)$ ]] ||
  die "--worker '$WORKER' must be a worker index (0, 1, ...) or 'all'."
[[ "$LINES_SHOWN" =~ ^[0-9]+$ ]] ||
  die "--lines '$LINES_SHOWN' must be a number."

if [[ "$LIST" == 1 ]]; then
  on_workers "echo \"== \$(hostname)\"; tmux ls 2>/dev/null || echo 'no tmux sessions'; ls -lt $TPU_REMOTE_DIR/logs 2>/dev/null || true" "$WORKER"
  exit 0
fi

# NOTE: -F (not -f) keeps following when the file does not exist yet or is
# replaced, e.g. when run.sh starts right after logs.sh.
tail_flags="-n $LINES_SHOWN"
[[ "$FOLLOW" == 0 ]] || tail_flags+=" -F"
on_workers "tail $tail_flags $(log_file "$SESSION")" "$WORKER"
