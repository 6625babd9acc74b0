#!/usr/bin/env bash
# Prepares this machine for `make demo` and `make test`: system packages, the Python
# virtualenv in .venv and the local base image. Each step is skipped when already done.
set -euo pipefail
source "${BASH_SOURCE[0]%/*}/lib.sh"
cd "${MAILGOV_ROOT}"

# podman and runc run the containers, debootstrap builds their images, iptables lets
# podman publish ports, python3-venv makes .venv, chromium and its driver run the browser
# tests of the webmail and the report (Selenium uses /usr/bin/chromedriver; nothing is downloaded).
packages=(podman runc debootstrap iptables python3 python3-venv ca-certificates chromium chromium-driver testssl.sh)
python="${PYTHON:-/usr/bin/python3}"
venv="${MAILGOV_ROOT}/.venv"
stamp="${venv}/.requirements.sha256"

if [[ "${EUID}" -ne 0 ]]; then
    die "make setup, make demo and make test must run as root, because they install packages and run rootful podman containers with systemd: run the command again as root, for example with sudo."
fi

install_packages() {
    local missing=() pkg
    for pkg in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("${pkg}")
        fi
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0

    command -v apt-get >/dev/null 2>&1 \
        || die "The packages ${missing[*]} are missing and there is no apt-get: use Debian 12 or 13, or install them by hand."
    say "Installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    mkdir -p .cache
    # A broken third-party source must not stop the install from Debian's own mirrors.
    apt-get update -q >.cache/apt.log 2>&1 || true
    apt-get install -y -q "${missing[@]}" >>.cache/apt.log 2>&1 \
        || die "apt-get could not install ${missing[*]} (see .cache/apt.log): check access to the Debian mirror, then run 'make setup' again."
}

make_venv() {
    local want
    want="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
    if [[ -x "${venv}/bin/python" && -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
        return 0
    fi
    say "Installing the Python tools into .venv (requirements.txt)"
    [[ -x "${venv}/bin/python" ]] || "${python}" -m venv "${venv}"
    "${venv}/bin/pip" install --quiet --quiet --disable-pip-version-check -r requirements.txt \
        || die "pip could not install requirements.txt into .venv: check access to PyPI, then run 'make setup' again."
    # The project's own package, editable: the filters, tests and benchmarks import it from here.
    "${venv}/bin/pip" install --quiet --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . \
        || die "pip could not install the mailgov package into .venv (see the message above), then run 'make setup' again."
    printf '%s\n' "${want}" >"${stamp}"
}

build_images() {
    local suite
    for suite in ${MAILGOV_SUITES}; do
        podman image exists "${MAILGOV_IMAGE_REPO}:${suite}" || scripts/build-image.sh "${suite}"
    done
}

install_packages
scripts/preflight.sh
make_venv
build_images
scripts/preflight.sh "${MAILGOV_IMAGE_REPO}:${MAILGOV_DEMO_SUITE}"
