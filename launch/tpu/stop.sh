#!/usr/bin/env bash
# Ends a run started by run.sh on every worker (and optionally stops the VM).
set -euo pipefail

usage() {
  cat <<USAGE
Usage: launch/tpu/stop.sh [flags]

Sends SIGTERM to the run's command on every worker: jaxvision saves a
checkpoint and exits, and rerunning the same run.sh command resumes it.

  --session NAME      the run's session name [default: jaxvision]
  --kill              SIGKILL instead (no checkpoint) and close the tmux
                      session, for a run that hangs
  --vm                afterwards also stop the TPU VM (it keeps its disk and
                      can be started again with gcloud compute tpus tpu-vm start)

$COMMON_USAGE
USAGE
}

# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SESSION="jaxvision"
SIGNAL="TERM"
STOP_VM=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --session|--session=*) flag_value "$@"; SESSION="$VALUE"; shift "$SHIFT" ;;
    --kill) SIGNAL="KILL"; shift ;;
    --vm) STOP_VM=1; shift ;;
    *)
      require_common_flag "$@"
      shift "$SHIFT" ;;
  esac
done
check_settings
check_session "$SESSION"

pid="$(pid_file "$SESSION")"
remote="if test -f $pid; then kill -$SIGNAL \"\$(cat $pid)\" && echo \"\$(hostname): sent SIG$SIGNAL to $SESSION\"; else echo \"\$(hostname): no running $SESSION (no $pid)\"; fi"
if [[ "$SIGNAL" == KILL ]]; then
  remote+="; rm -f $pid; tmux kill-session -t =$SESSION 2>/dev/null || true"
fi
on_workers "$remote" all
if [[ "$STOP_VM" == 1 ]]; then
  gcloud_run compute tpus tpu-vm stop "$TPU_NAME"
fi
