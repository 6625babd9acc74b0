"""Initial passwords that meet a policy's rules."""

import secrets
import string

# No look-alikes (0/O, 1/l/I): initial passwords are read off paper and typed by hand.
_CLASSES = {
    "upper": "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "lower": "abcdefghijkmnopqrstuvwxyz",
    "digit": "23456789",
    "special": "!@#%$*&",
}


def initial_password(rules, length=14):
    """A random password with every class the rules require, and at least their minimum length."""
    special = rules.get("special_characters") or _CLASSES["special"]
    pools = dict(_CLASSES, special="".join(c for c in special if c in string.punctuation) or "@")
    length = max(length, rules.get("min_length") or 0)
    chars = [secrets.choice(pools[c]) for c in ("upper", "lower", "digit", "special")]
    alphabet = "".join(pools.values())
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
