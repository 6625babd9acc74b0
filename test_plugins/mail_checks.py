"""Jinja tests for the roles' input checks: the rules several roles share, written once.

Each test is a plain function of its value (and arguments) that answers True or False and
never raises, so that an assert's fail_msg, not a traceback, tells the operator what to fix.
The documentation of each test is the YAML file of the same name beside this one.
"""

import re
from collections.abc import Mapping

# A lower-case fully qualified name: labels of letters, digits and inner hyphens, dot-separated,
# the last one alphabetic (a top-level domain).
_FQDN = re.compile(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?[.])+[a-z]{2,}")

# The placeholder of the production example's vault; it must never reach a server.
PLACEHOLDER = "CHANGE-ME"

SSH_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa")


def fqdn(value):
    """A lower-case fully qualified name such as mail.gialai.gov.vn."""
    return isinstance(value, str) and _FQDN.fullmatch(value) is not None


def domain(value):
    """A lower-case mail domain such as gialai.gov.vn: the same rule as fqdn."""
    return fqdn(value)


def dn_suffix(value, of=None):
    """The dc= form of a domain (dc=gialai,dc=gov,dc=vn); of that very domain when one is given."""
    if not isinstance(value, str):
        return False
    parts = value.split(",")
    labels = [part[3:] for part in parts if part.startswith("dc=")]
    if len(labels) != len(parts) or any("." in label for label in labels):
        return False
    name = ".".join(labels)
    if not domain(name):
        return False
    return of is None or (isinstance(of, str) and name == of)


def secret(value, min_length=12):
    """A password or key long enough and not the CHANGE-ME placeholder."""
    if not isinstance(value, str) or isinstance(min_length, bool):
        return False
    try:
        min_length = int(min_length)
    except (TypeError, ValueError):
        return False
    return len(value) >= min_length and PLACEHOLDER not in value


def ssh_public_key(value, types=SSH_KEY_TYPES):
    """One public key line, "TYPE BASE64 [comment]", of one of the given key types."""
    if not isinstance(value, str):
        return False
    if isinstance(types, str):
        types = [types]
    try:
        alternatives = "|".join(re.escape(t) for t in types)
    except TypeError:
        return False
    if not alternatives:
        return False
    pattern = rf"({alternatives}) [A-Za-z0-9+/=]+( [^\n]*)?\n?"
    return re.fullmatch(pattern, value) is not None


def release(facts):
    """The release of a host as "<distribution>-<major version>", from its facts; '' without them."""
    if not isinstance(facts, Mapping):
        return ""
    name, major = facts.get("distribution"), facts.get("distribution_major_version")
    if not name or major in (None, ""):
        return ""
    return f"{name}-{major}"


def supported_release(facts, releases):
    """The host (its ansible_facts) runs one of the releases, each "<distribution>-<major version>"."""
    found = release(facts)
    if not found:
        return False
    if isinstance(releases, str):
        releases = [releases]
    try:
        return found in [str(r) for r in releases]
    except TypeError:
        return False


class TestModule:
    def tests(self):
        return {
            "fqdn": fqdn,
            "domain": domain,
            "dn_suffix": dn_suffix,
            "secret": secret,
            "ssh_public_key": ssh_public_key,
            "supported_release": supported_release,
        }
