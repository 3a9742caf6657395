#!/usr/bin/env bash
# Deletes the TPU VM (or its queued resource), ending all billing for it.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: launch/tpu/delete.sh [flags] [-- extra gcloud flags]

Deletes the TPU VM and its boot disk; anything not in a bucket is lost.

  --queued            delete the queued resource created by create.sh --queued
                      (and the TPU VM in it)
  --yes               do not ask for confirmation

$COMMON_USAGE
USAGE
}

# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

QUEUED=0
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --queued) QUEUED=1; shift ;;
    --yes) EXTRA+=(--quiet); shift ;;
    --) shift; EXTRA+=("$@"); break ;;
    *)
      require_common_flag "$@"
      shift "$SHIFT" ;;
  esac
done
check_settings

if [[ "$QUEUED" == 1 ]]; then
  # NOTE: --force also deletes the TPU VM the queued resource holds; without
  # it gcloud refuses to delete an ACTIVE queued resource.
  gcloud_run compute tpus queued-resources delete "$TPU_NAME" --force \
    ${EXTRA[@]+"${EXTRA[@]}"}
else
  gcloud_run compute tpus tpu-vm delete "$TPU_NAME" ${EXTRA[@]+"${EXTRA[@]}"}
fi
