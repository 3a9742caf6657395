#!/usr/bin/env bash
# Runs one command on every worker at once, inside a named tmux session.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: launch/tpu/run.sh [flags] [--] COMMAND [ARGS...]

Starts COMMAND on every worker at the same time (multi-host jax needs every
process: jaxvision calls jax.distributed.initialize() itself), in
\$TPU_REMOTE_DIR with .venv activated, inside the detached tmux session
SESSION. Output is appended to \$TPU_REMOTE_DIR/logs/SESSION.log on each
worker (read it with logs.sh; end the run with stop.sh). A COMMAND that is a
jaxvision subcommand (train, eval, predict, params, flops) is run as
'python -m jaxvision.main COMMAND ...'.

  --session NAME      tmux session, log and pid file name [default: jaxvision]
  --env KEY=VALUE     export KEY=VALUE in the run (repeatable)

$COMMON_USAGE

Examples:
  launch/tpu/run.sh --session reclip -- train \\
    --config configs/reclip/reclip.py --workdir gs://my-bucket/reclip
  launch/tpu/run.sh --session sweep -- python -m launch.sweep \\
    --config configs/reclip/reclip.py --workdir gs://my-bucket/sweep --mode local
USAGE
}

# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SESSION="jaxvision"
ENVS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --session|--session=*) flag_value "$@"; SESSION="$VALUE"; shift "$SHIFT" ;;
    --env|--env=*)
      flag_value "$@"
      [[ "$VALUE" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] ||
        die "--env '$VALUE' must look like KEY=VALUE."
      ENVS+=("$VALUE")
      shift "$SHIFT" ;;
    --) shift; break ;;
    -*)
      require_common_flag "$@"
      shift "$SHIFT" ;;
    *) break ;;
  esac
done
check_settings
check_session "$SESSION"
[[ $# -gt 0 ]] || die "no command to run: put it after --, e.g." \
  "launch/tpu/run.sh -- train --config configs/x/y.py --workdir gs://bucket/run"
case "$1" in
  train|eval|predict|params|flops) set -- python -m jaxvision.main "$@" ;;
esac

LOG="logs/$SESSION.log"
PID="logs/$SESSION.pid"
# NOTE: python block-buffers stdout into a pipe; unbuffered output makes the
# log follow the run live.
exports="export PYTHONUNBUFFERED=1"
for env in ${ENVS[@]+"${ENVS[@]}"}; do
  exports+=" $(shell_quote "$env")"
done
# The script tmux runs on each worker, in $TPU_REMOTE_DIR (new-session -c).
# The command's pid goes to a file so that stop.sh can send SIGTERM to the
# command itself (jaxvision then saves a checkpoint), not to tmux or tee.
# NOTE: the exit status line is written after the pipeline, i.e. after tee
# has written everything the command printed, so it is always the last line.
script="source .venv/bin/activate && $exports || \
{ echo \"[run.sh] cannot activate .venv\" >> $LOG; exit 1; }; \
echo \"[run.sh] \$(date -u +%FT%TZ) \$(hostname):\" $(shell_quote "$(shell_quote "$@")") >> $LOG; \
( $(shell_quote "$@") & echo \$! > $PID; wait \$! ) 2>&1 | tee -a $LOG; \
status=\${PIPESTATUS[0]}; rm -f $PID; \
echo \"[run.sh] \$(date -u +%FT%TZ) exit status \$status\" >> $LOG"

# NOTE: `-t =NAME` matches the session name exactly; a plain `-t NAME` also
# matches any session whose name starts with NAME.
remote="cd $TPU_REMOTE_DIR 2>/dev/null || { echo \"\$(hostname): no $TPU_REMOTE_DIR;\
 run launch/tpu/copy.sh first\" >&2; exit 1; }; \
if ! test -x .venv/bin/python; then echo \"\$(hostname): no $TPU_REMOTE_DIR/.venv;\
 run launch/tpu/setup.sh first\" >&2; exit 1; fi; \
if tmux has-session -t =$SESSION 2>/dev/null; then echo \"\$(hostname): tmux session\
 $SESSION is already running; end it with launch/tpu/stop.sh --session $SESSION\" >&2;\
 exit 1; fi; \
mkdir -p logs && tmux new-session -d -s $SESSION -c \"\$PWD\" bash -c $(shell_quote "$script") \
&& echo \"\$(hostname): started $SESSION, log in $TPU_REMOTE_DIR/$LOG\""
on_workers "$remote" all
