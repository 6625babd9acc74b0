#!/usr/bin/env bash
# Removes the demo container and its generated files; the base images stay for next time.
set -euo pipefail
source "${BASH_SOURCE[0]%/*}/lib.sh"
cd "${MAILGOV_ROOT}"

container=mailgov-demo

scripts/preflight.sh
if podman container exists "${container}"; then
    podman rm --force --time 20 "${container}" >/dev/null
    rm -rf .cache/demo
    echo "Removed the ${container} container; the base images (${MAILGOV_IMAGE_REPO}) stay."
else
    rm -rf .cache/demo
    echo "There is no ${container} container: nothing to remove."
fi
