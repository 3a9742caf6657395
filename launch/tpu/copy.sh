#!/usr/bin/env bash
# Copies the working tree to every worker of the TPU VM.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: launch/tpu/copy.sh [flags]

Packs the repository (tracked files plus untracked files git does not ignore,
so uncommitted edits travel too; never .venv, .git or workdirs), copies the
tarball to every worker and unpacks it into \$TPU_REMOTE_DIR. Files on the
workers that are not in the tarball (the .venv, logs/) are left alone.

$COMMON_USAGE
USAGE
}

# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

while [[ $# -gt 0 ]]; do
  require_common_flag "$@"
  shift "$SHIFT"
done
check_settings

TARBALL_NAME="jaxvision-code.tar.gz"

# Writes the tarball of the repository's files to "$1".
pack() {
  if git -C "$REPO_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # NOTE: `git ls-files --cached` still lists files deleted from the working
    # tree; skip them or tar fails on the missing path.
    (cd "$REPO_ROOT" &&
      git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do
        if [[ -e "$f" ]]; then printf '%s\0' "$f"; fi
      done |
      tar --null -T - -czf "$1")
  else
    tar -czf "$1" -C "$REPO_ROOT" --exclude=.git --exclude=.venv \
      --exclude=__pycache__ --exclude=workdirs --exclude=logs .
  fi
}

if [[ "$DRY_RUN" == 1 ]]; then
  TARBALL="/tmp/$TARBALL_NAME"
  echo "# pack $REPO_ROOT (git ls-files) into $TARBALL"
else
  TMP_DIR="$(mktemp -d)"
  trap 'rm -rf "$TMP_DIR"' EXIT
  TARBALL="$TMP_DIR/$TARBALL_NAME"
  pack "$TARBALL"
  echo "packed $(du -h "$TARBALL" | cut -f1) from $REPO_ROOT" >&2
fi

gcloud_run compute tpus tpu-vm scp "$TARBALL" "$TPU_NAME:$TARBALL_NAME" \
  --worker=all
on_workers "mkdir -p $TPU_REMOTE_DIR && tar -xzf $TARBALL_NAME -C $TPU_REMOTE_DIR && rm $TARBALL_NAME" all
