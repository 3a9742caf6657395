#!/usr/bin/env bash
# Creates a Cloud TPU VM (on demand, spot, or through a queued resource).
set -euo pipefail

usage() {
  cat <<USAGE
Usage: launch/tpu/create.sh [flags] [-- extra gcloud flags]

Creates the TPU VM \$TPU_NAME. Extra flags after -- go to gcloud unchanged
(e.g. -- --reserved, -- --network=my-net --subnetwork=my-subnet).

  --spot              spot capacity: cheaper, can be preempted at any time
                      (jaxvision saves a checkpoint on SIGTERM; rerun to resume)
  --queued            request it through a queued resource, which waits for
                      capacity instead of failing when none is free
  --valid-for DUR     with --queued: drop the request if not filled within DUR
                      (e.g. 6h, 2d)
  --wait              with --queued: poll until the resource is ACTIVE

$COMMON_USAGE

Examples:
  launch/tpu/create.sh --name my-tpu --zone us-central2-b --type v4-32 --spot
  TPU_TYPE=v5litepod-16 TPU_RUNTIME=v2-alpha-tpuv5-lite \\
    launch/tpu/create.sh --zone us-west4-a --queued --spot --wait
USAGE
}

# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SPOT=0
QUEUED=0
VALID_FOR=""
WAIT=0
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --spot) SPOT=1; shift ;;
    --queued) QUEUED=1; shift ;;
    --valid-for|--valid-for=*) flag_value "$@"; VALID_FOR="$VALUE"; shift "$SHIFT" ;;
    --wait) WAIT=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *)
      require_common_flag "$@"
      shift "$SHIFT" ;;
  esac
done
check_settings
[[ "$QUEUED" == 1 || ( -z "$VALID_FOR" && "$WAIT" == 0 ) ]] ||
  die "--valid-for and --wait only apply to --queued requests."

CAPACITY=()
[[ "$SPOT" == 0 ]] || CAPACITY=(--spot)
[[ -z "$VALID_FOR" ]] || CAPACITY+=("--valid-until-duration=$VALID_FOR")

if [[ "$QUEUED" == 0 ]]; then
  gcloud_run compute tpus tpu-vm create "$TPU_NAME" \
    "--accelerator-type=$TPU_TYPE" "--version=$TPU_RUNTIME" \
    ${CAPACITY[@]+"${CAPACITY[@]}"} ${EXTRA[@]+"${EXTRA[@]}"}
  exit 0
fi

# NOTE: the queued resource and the TPU VM it creates share the name, so
# delete.sh --queued and every other script find them both by --name.
gcloud_run compute tpus queued-resources create "$TPU_NAME" \
  "--node-id=$TPU_NAME" "--accelerator-type=$TPU_TYPE" \
  "--runtime-version=$TPU_RUNTIME" \
  ${CAPACITY[@]+"${CAPACITY[@]}"} ${EXTRA[@]+"${EXTRA[@]}"}

if [[ "$WAIT" == 1 ]]; then
  describe=(compute tpus queued-resources describe "$TPU_NAME"
            "--format=value(state.state)")
  if [[ "$DRY_RUN" == 1 ]]; then
    gcloud_run "${describe[@]}"
    exit 0
  fi
  while true; do
    # NOTE: a transient gcloud error must not end a wait of many hours.
    state="$(gcloud_run "${describe[@]}")" || state="unknown (gcloud failed)"
    echo "$(date +%H:%M:%S) queued resource $TPU_NAME: $state" >&2
    case "$state" in
      ACTIVE) break ;;
      FAILED|SUSPENDING|SUSPENDED)
        die "queued resource $TPU_NAME is $state; inspect it with" \
            "'gcloud compute tpus queued-resources describe $TPU_NAME" \
            "--zone=$TPU_ZONE', then delete it with launch/tpu/delete.sh --queued." ;;
    esac
    sleep 60
  done
fi
