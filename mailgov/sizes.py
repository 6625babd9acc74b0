"""Sizes as administrators write them, read the way Dovecot reads them."""

import re
from decimal import Decimal, InvalidOperation

_UNITS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def size_bytes(value):
    """Turn '1G', '1 GB', '500M', '1.5G', '15MB' or a number into bytes.

    Units are binary (1K = 1024 bytes), as Dovecot reads them, whether written
    K, KB or KiB.  A plain number is already bytes.  Raises ValueError.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a size such as '1G' or '500M'")
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a size such as '1G', '1.5G' or '500M'")
    try:
        number = Decimal(match.group(1))
    except InvalidOperation as err:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"{value!r} is not a size") from err
    return int(number * 1024 ** _UNITS[match.group(2).lower()])
