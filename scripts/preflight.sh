#!/usr/bin/env bash
# Checks that this machine can run the project's containers, and says in one sentence
# what to fix when it cannot. With an image as argument it also starts a container from it.
# Usage: scripts/preflight.sh [IMAGE]
set -euo pipefail
source "${BASH_SOURCE[0]%/*}/lib.sh"

image="${1:-}"

if [[ "${EUID}" -ne 0 ]]; then
    die "This must run as root, because the containers are rootful podman containers with systemd: run the command again as root, for example with sudo."
fi

if ! command -v podman >/dev/null 2>&1; then
    die "podman is not installed: run 'make setup' as root on Debian 12 or 13, or install it with 'apt-get install podman runc'."
fi

if [[ -z "${CONTAINERS_CONF:-}" || ! -r "${CONTAINERS_CONF}" ]]; then
    die "CONTAINERS_CONF does not point at this project's containers.conf: run the command through make (make demo, make test), which sets it."
fi

last_line() {
    local line="" last=""
    while IFS= read -r line; do
        [[ -n "${line}" ]] && last="${line}"
    done <<<"$1"
    printf '%s' "${last}"
}

if ! out="$(podman info 2>&1 >/dev/null)"; then
    die "podman does not work on this machine ($(last_line "${out}")): check that 'podman info' succeeds as root with CONTAINERS_CONF=${CONTAINERS_CONF}."
fi

if [[ -n "${image}" ]]; then
    if ! out="$(podman run --rm --network none "${image}" /bin/true 2>&1)"; then
        die "podman cannot start a container from ${image} ($(last_line "${out}")): check that 'podman run --rm ${image} /bin/true' works with CONTAINERS_CONF=${CONTAINERS_CONF}."
    fi
fi
