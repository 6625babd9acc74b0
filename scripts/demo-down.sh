#!/usr/bin/env bash
# Removes the demo container and its generated files; the base image stays for next time.
set -euo pipefail
source "${BASH_SOURCE[0]%/*}/lib.sh"
cd "${MAILGOV_ROOT}"

container=mailgov-demo
# Initial passwords of the demo's accounts (playbooks/accounts.yml names them after the host).
password_files=("${HOME}"/mailgov-passwords/*/"${container}"-*.csv)

scripts/preflight.sh
rm -f "${password_files[@]}"
if podman container exists "${container}"; then
    podman rm --force --time 20 "${container}" >/dev/null
    rm -rf .cache/demo
    echo "Removed the ${container} container; the base image (${MAILGOV_IMAGE_REPO}:trixie) stays."
else
    rm -rf .cache/demo
    echo "There is no ${container} container: nothing to remove."
fi
