"""Initial passwords that meet a policy's rules."""

import hashlib
import hmac
import secrets
import string

# No look-alikes (0/O, 1/l/I): initial passwords are read off paper and typed by hand.
_CLASSES = {
    "upper": "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "lower": "abcdefghijkmnopqrstuvwxyz",
    "digit": "23456789",
    "special": "!@#%$*&",
}


class _Stream:
    """Unbiased choices from a SHAKE-256 stream keyed for one account."""

    def __init__(self, key):
        self.data = hashlib.shake_256(key).digest(512)
        self.pos = 0

    def below(self, n):
        limit = 256 - 256 % n
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            if byte < limit:
                return byte % n


def derived_password(seed, ident, rules, length=14):
    """The initial password of account ``ident``: random to anyone without ``seed``.

    The directory sync and the controller derive the same password from one secret
    seed, so the passwords themselves never travel between them. It has every class
    the rules require and at least their minimum length.
    """
    stream = _Stream(hmac.new(seed.encode(), ident.encode(), hashlib.sha256).digest())
    special = "".join(c for c in (rules.get("special_characters") or _CLASSES["special"]) if c in string.punctuation)
    pools = dict(_CLASSES, special=special or "@")
    length = max(length, rules.get("min_length") or 0)
    chars = [pool[stream.below(len(pool))] for pool in pools.values()]
    alphabet = "".join(pools.values())
    chars += [alphabet[stream.below(len(alphabet))] for _ in range(length - len(chars))]
    for i in range(len(chars) - 1, 0, -1):
        j = stream.below(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def new_seed():
    return secrets.token_urlsafe(32)
