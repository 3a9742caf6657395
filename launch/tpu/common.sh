# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for launch/tpu/*.sh. Sourced, never run.
# (SC2034 is off: the variables set here are read by the sourcing scripts.)
#
# Every setting has an environment variable and a flag; flags win. Each script
# defines `usage` (printed by --help) and sources this file before parsing.

# NOTE: `${X:-default}` keeps a value the user exported, so
# `TPU_ZONE=europe-west4-a launch/tpu/create.sh` works like `--zone`.
TPU_NAME="${TPU_NAME:-jaxvision}"
TPU_ZONE="${TPU_ZONE:-us-central2-b}"
TPU_TYPE="${TPU_TYPE:-v4-8}"
TPU_RUNTIME="${TPU_RUNTIME:-tpu-ubuntu2204-base}"
TPU_PROJECT="${TPU_PROJECT:-}"
TPU_REMOTE_DIR="${TPU_REMOTE_DIR:-jaxvision}"
DRY_RUN="${DRY_RUN:-0}"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

COMMON_USAGE="Common flags (environment variable in brackets):
  --name NAME         TPU VM name [TPU_NAME, default: jaxvision]
  --zone ZONE         zone [TPU_ZONE, default: us-central2-b]
  --type TYPE         accelerator type, e.g. v4-8, v4-32, v5litepod-16
                      [TPU_TYPE, default: v4-8]
  --runtime VERSION   TPU runtime (software) version
                      [TPU_RUNTIME, default: tpu-ubuntu2204-base]
  --project PROJECT   GCP project [TPU_PROJECT, default: gcloud's core/project]
  --remote-dir DIR    code directory on every worker, relative to \$HOME
                      [TPU_REMOTE_DIR, default: jaxvision]
  --dry-run           print the commands instead of running them [DRY_RUN=1]
  -h, --help          show this help"

# Prints an error naming the problem and the fix, then exits.
die() {
  echo "error: $*" >&2
  exit 2
}

# Prints its arguments as one shell command line that a POSIX shell (and
# Python's shlex.split) parses back into exactly the same arguments.
shell_quote() {
  local out="" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
      out+="$arg "
    else
      # NOTE: a single quote cannot appear inside '...'; close the quoted
      # string, add an escaped quote and reopen it: ' -> '\''.
      out+="'${arg//\'/\'\\\'\'}' "
    fi
  done
  printf '%s\n' "${out% }"
}

# Sets SHIFT to how many arguments the common flag at "$1" uses, 0 when "$1"
# is not a common flag. Flags take `--flag value` or `--flag=value`.
parse_common_flag() {
  local flag="$1" value=""
  SHIFT=1
  case "$flag" in
    --*=*) value="${flag#*=}"; flag="${flag%%=*}" ;;
    --name|--zone|--type|--accelerator-type|--runtime|--version|--project|--remote-dir)
      [[ $# -ge 2 ]] || die "$flag needs a value (see --help)."
      value="$2"
      SHIFT=2 ;;
  esac
  case "$flag" in
    --name) TPU_NAME="$value" ;;
    --zone) TPU_ZONE="$value" ;;
    --type|--accelerator-type) TPU_TYPE="$value" ;;
    --runtime|--version) TPU_RUNTIME="$value" ;;
    --project) TPU_PROJECT="$value" ;;
    --remote-dir) TPU_REMOTE_DIR="$value" ;;
    --dry-run) DRY_RUN=1 ;;
    -h|--help) usage; exit 0 ;;
    *) SHIFT=0 ;;
  esac
}

# parse_common_flag, but an unknown flag is an error (the scripts' fallback).
require_common_flag() {
  parse_common_flag "$@"
  [[ "$SHIFT" -gt 0 ]] || die "unknown flag '$1' (see --help)."
}

# Reads the value of a script-specific flag at "$1" ("--flag value" or
# "--flag=value") into VALUE and sets SHIFT like parse_common_flag.
flag_value() {
  if [[ "$1" == *=* ]]; then
    VALUE="${1#*=}"
    SHIFT=1
  else
    [[ $# -ge 2 ]] || die "$1 needs a value (see --help)."
    VALUE="$2"
    SHIFT=2
  fi
}

# Checks the settings, so typos fail here and not in the middle of gcloud.
check_settings() {
  [[ "$TPU_NAME" =~ ^[a-z]([-a-z0-9]*[a-z0-9])?$ ]] ||
    die "TPU name '$TPU_NAME' is invalid: use lowercase letters, digits and" \
        "hyphens, starting with a letter (e.g. --name my-tpu)."
  [[ -n "$TPU_ZONE" ]] || die "no zone: pass --zone (e.g. us-central2-b)."
  [[ "$TPU_REMOTE_DIR" =~ ^[A-Za-z0-9_./-]+$ ]] ||
    die "--remote-dir '$TPU_REMOTE_DIR' must be a plain path (letters," \
        "digits, '_', '.', '/', '-')."
  [[ "$DRY_RUN" == 0 || "$DRY_RUN" == 1 ]] ||
    die "DRY_RUN must be 0 or 1, got '$DRY_RUN'."
  if [[ "$DRY_RUN" == 0 ]] && ! command -v gcloud >/dev/null 2>&1; then
    die "gcloud is not installed: see https://cloud.google.com/sdk/docs/install" \
        "(or pass --dry-run to print the commands)."
  fi
}

# Checks a tmux session name; it also names the run's log and pid files.
check_session() {
  [[ "$1" =~ ^[A-Za-z0-9_-]+$ ]] ||
    die "session name '$1' is invalid: use letters, digits, '_' and '-'" \
        "(tmux rejects '.' and ':')."
}

# Runs a command, or prints it when DRY_RUN=1.
run() {
  if [[ "$DRY_RUN" == 1 ]]; then
    shell_quote "$@"
  else
    "$@"
  fi
}

# Runs `gcloud ARGS... --zone=ZONE [--project=PROJECT]`.
gcloud_run() {
  if [[ -n "$TPU_PROJECT" ]]; then
    run gcloud "$@" "--zone=$TPU_ZONE" "--project=$TPU_PROJECT"
  else
    run gcloud "$@" "--zone=$TPU_ZONE"
  fi
}

# Runs the shell command "$1" on workers "$2" (a worker index or "all").
# NOTE: with --worker=all gcloud runs it on every worker at the same time,
# which multi-host jax needs: all processes must start together.
on_workers() {
  gcloud_run compute tpus tpu-vm ssh "$TPU_NAME" "--worker=$2" "--command=$1"
}

# Paths of a run's log and pid files on every worker, relative to $HOME.
log_file() { printf '%s/logs/%s.log' "$TPU_REMOTE_DIR" "$1"; }
pid_file() { printf '%s/logs/%s.pid' "$TPU_REMOTE_DIR" "$1"; }
