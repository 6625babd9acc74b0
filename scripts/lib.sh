# Shared helpers for the scripts in this directory; source it, do not run it.
# Only bash builtins here: the preflight must work even when PATH lacks common tools.

MAILGOV_ROOT="$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)"
MAILGOV_IMAGE_REPO="${MAILGOV_IMAGE_REPO:-localhost/mailgov-base}"
MAILGOV_SUITES="${MAILGOV_SUITES:-trixie}"
MAILGOV_DEMO_SUITE="${MAILGOV_DEMO_SUITE:-trixie}"

# Progress line.
say() {
    printf '==> %s\n' "$*"
}

# The single sentence a person sees when something cannot work, then stop.
die() {
    printf 'mailgov: %s\n' "$*" >&2
    exit 1
}
