"""Sizes as administrators write them, read the way Dovecot reads them."""

import math
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


# What the filter scans at most, in bytes: ClamAV's stream limit (clamav_stream_max_length, the
# largest message clamd accepts) and rspamd's largest message (rspamd_max_message_bytes). The
# wiring in playbooks/group_vars/all/filter.yml gives both roles these values; a message larger
# than either could never be scanned, and would wait in the queue until it expired.
CLAMAV_STREAM_MAX_BYTES = 100 * 1024**2
RSPAMD_MAX_MESSAGE_BYTES = 100 * 1024**2
# The headers and text of a message beside its attachment, as Postfix's limit allows for them.
MESSAGE_TEXT_BYTES = 1024**2


def message_size_limit(attachment_max_bytes):
    """Postfix's message_size_limit for the largest attachment a message may carry.

    The attachment travels in base64 (4 bytes for every 3, in lines of 76 characters and a
    line break), plus 1 MiB for the rest of the message.  The same sum as the postfix role's
    default for postfix_message_size_limit, in the same order, so the two agree to the byte.
    """
    return math.ceil(int(attachment_max_bytes) * 4 / 3 * 78 / 76 + MESSAGE_TEXT_BYTES)


def domain_size_limits(policies):
    """The largest message of each domain whose policy allows less than the largest of all.

    ``policies`` maps each domain to its policy (mailgov.hosting); Postfix takes the largest
    attachment_max of all (one limit per server), and these are the domains that need a limit of
    their own, each the message_size_limit of its own attachment_max."""
    attachments = {domain: size_bytes(policy["attachment_max"]) for domain, policy in policies.items()}
    largest = max(attachments.values(), default=0)
    return {domain: message_size_limit(size) for domain, size in attachments.items() if size < largest}


def scan_max_bytes():
    """The largest message both ClamAV and rspamd scan."""
    return min(CLAMAV_STREAM_MAX_BYTES, RSPAMD_MAX_MESSAGE_BYTES)


def attachment_max_bytes_scanned():
    """The largest attachment whose message ClamAV and rspamd still scan whole."""
    limit = scan_max_bytes()
    guess = int((limit - MESSAGE_TEXT_BYTES) * 3 / 4 * 76 / 78)
    while message_size_limit(guess + 1) <= limit:
        guess += 1
    while message_size_limit(guess) > limit:
        guess -= 1
    return guess
