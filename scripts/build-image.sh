#!/usr/bin/env bash
# Builds a systemd-ready Debian base image with debootstrap and imports it into podman,
# because no container registry is reachable from the build machines.
# Usage: scripts/build-image.sh SUITE   (trixie = Debian 13, the release the roles support)
set -euo pipefail
source "${BASH_SOURCE[0]%/*}/lib.sh"

suite="${1:?usage: build-image.sh SUITE}"
image="${MAILGOV_IMAGE_REPO}:${suite}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# What Ansible (apt module) and a systemd container need; the roles install the rest.
include="systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,ca-certificates"

workdir="$(mktemp -d /var/tmp/mailgov-image.XXXXXX)"
root="${workdir}/root"
log="${workdir}/debootstrap.log"

cleanup() {
    # debootstrap mounts /proc and /sys inside the target; never delete through a mount.
    local mnt
    while read -r _ mnt _; do
        case "${mnt}" in "${root}"/*) umount -l "${mnt}" 2>/dev/null || true ;; esac
    done < <(tac /proc/mounts)
    rm -rf --one-file-system "${workdir}"
}
trap cleanup EXIT

say "Building ${image} with debootstrap from ${mirror} (about a minute)"
if ! debootstrap --variant=minbase --include="${include}" "${suite}" "${root}" "${mirror}" >"${log}" 2>&1; then
    mkdir -p "${MAILGOV_ROOT}/.cache"
    cp "${log}" "${MAILGOV_ROOT}/.cache/debootstrap-${suite}.log"
    die "debootstrap could not build the ${suite} image from ${mirror}: check access to the Debian mirror or set DEBIAN_MIRROR, and see .cache/debootstrap-${suite}.log."
fi

# Security and point-release updates, in the deb822 format both releases read.
rm -f "${root}/etc/apt/sources.list"
cat >"${root}/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: ${mirror}
Suites: ${suite} ${suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${security_mirror}
Suites: ${suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# A fresh machine-id per container, and no package caches in the image.
: >"${root}/etc/machine-id"
rm -rf "${root}"/var/cache/apt/*.bin "${root}"/var/cache/apt/archives/*.deb "${root}"/var/lib/apt/lists/*
# apt's cache_valid_time reads the age of this directory: make the empty lists look old.
touch -d @0 "${root}/var/lib/apt/lists"

tar --numeric-owner -C "${root}" -c . \
    | podman import --quiet --change 'CMD ["/sbin/init"]' --message "mailgov base image (${suite})" - "${image}" >/dev/null
say "Built ${image}"
