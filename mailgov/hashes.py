"""Which password hashes of an old mail server slapd can verify, so that their owners keep them.

A carried hash goes into ``userPassword`` as it is (slapd's ``pw-sha2`` and ``pw-pbkdf2`` modules,
and ``{CRYPT}`` through the C library's crypt, which knows SHA-crypt, bcrypt and yescrypt). At the
owner's next change slapd stores argon2, as for everyone. Dovecot's names for the crypt schemes
(``{SHA512-CRYPT}$6$...``) are the same strings under ``{CRYPT}``. Weak or unsalted hashes and
clear text are not carried: their accounts get an initial password to be changed.
"""

import re

# slapd's scheme names (case-insensitive), each with what the value after it must look like.
_SALTED = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_PBKDF2 = re.compile(r"^\d+\$[A-Za-z0-9./+]+\$[A-Za-z0-9./+]+$")
_ARGON2 = re.compile(r"^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")
_CRYPT = {
    "$6$": "SHA-512 crypt",
    "$5$": "SHA-256 crypt",
    "$2y$": "bcrypt",
    "$2b$": "bcrypt",
    "$2a$": "bcrypt",
    "$y$": "yescrypt",
}
_CRYPT_FORM = re.compile(r"^\$(6|5|2[aby]|y)\$[^\s:]+$")
# Dovecot's spelling of the same crypt hashes.
_DOVECOT_CRYPT = ("SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "CRYPT")
SCHEMES = {
    "SSHA512": _SALTED, "SSHA384": _SALTED, "SSHA256": _SALTED, "SSHA": _SALTED,
    "PBKDF2-SHA512": _PBKDF2, "PBKDF2-SHA256": _PBKDF2, "PBKDF2-SHA1": _PBKDF2, "PBKDF2": _PBKDF2,
    "ARGON2": _ARGON2,
}
WEAK = {
    "PLAIN": "clear text", "CLEARTEXT": "clear text", "CLEAR": "clear text",
    "MD5": "unsalted MD5", "PLAIN-MD5": "unsalted MD5", "SMD5": "MD5", "SHA": "unsalted SHA-1",
    "SHA256": "unsalted SHA-256", "SHA512": "unsalted SHA-512", "MD5-CRYPT": "MD5 crypt",
}
_SCHEME = re.compile(r"^\{([A-Za-z0-9.-]+)\}(.*)$", re.S)


def carry(value):
    """(the userPassword to store, None) for a hash slapd verifies, or (None, why not).

    The reason is written for the operator's list: the account gets an initial password instead."""
    if not value:
        return None, "the old server gave no password hash"
    match = _SCHEME.match(value.strip())
    if not match:
        return None, "the hash names no scheme ({SSHA512}, {CRYPT} ...)"
    scheme, rest = match.group(1).upper(), match.group(2)
    if scheme in SCHEMES:
        if SCHEMES[scheme].match(rest):
            return "{" + scheme + "}" + rest, None
        return None, f"a {{{scheme}}} hash that is not well formed"
    if scheme in _DOVECOT_CRYPT:
        kind = next((name for prefix, name in _CRYPT.items() if rest.startswith(prefix)), None)
        if kind and _CRYPT_FORM.match(rest):
            return "{CRYPT}" + rest, None
        if rest.startswith("$1$"):
            return None, "an MD5 crypt hash, too weak to keep"
        return None, "a DES crypt hash, too weak to keep" if len(rest) == 13 else "a crypt hash of an unknown kind"
    if scheme in WEAK:
        return None, f"a hash of a weak kind ({WEAK[scheme]}), too weak to keep"
    return None, f"a {{{scheme}}} hash, which slapd cannot verify"


def describe(value):
    """The kind of a hash, for lists and logs: never the hash itself."""
    match = _SCHEME.match((value or "").strip())
    if not match:
        return "none"
    scheme, rest = match.group(1).upper(), match.group(2)
    if scheme in _DOVECOT_CRYPT:
        return next((f"{{CRYPT}} {name}" for prefix, name in _CRYPT.items() if rest.startswith(prefix)), "{CRYPT}")
    return "{" + scheme + "}"
