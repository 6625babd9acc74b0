"""fail2ban's numbers, from the directory's lockout in every domain's password policy.

slapd locks an account after ``lockout_failures`` refused passwords within
``lockout_window_minutes``. fail2ban must ban the address that tries them first, so that an
attacker cannot lock the owner out, while slapd's lockout still stops a slow attack from many
addresses. A server with several domains bans by the strictest of them.
"""

# Failures fail2ban leaves between its ban and the lockout: attempts already on their way
# while it reads the journal.
MARGIN = 2
# With no lockout anywhere, guessing is still cut off.
DEFAULT = {"maxretry": 5, "findtime": 900, "bantime": 3600}
MIN_BANTIME = 3600


def ban_rule(policies):
    """maxretry, findtime and bantime (seconds) for fail2ban, from each domain's policy."""
    rules = [policy["password"] for policy in policies.values()]
    locking = [rule for rule in rules if rule.get("lockout_failures")]
    if not locking:
        return dict(DEFAULT)
    failures = min(rule["lockout_failures"] for rule in locking)
    # A window of null: slapd forgets no failure until the next good password, longer than any
    # findtime; fail2ban then counts over the longest window given, or its default.
    windows = [rule.get("lockout_window_minutes") for rule in locking]
    known = [window * 60 for window in windows if window]
    findtime = max(known) if known and None not in windows else max(known + [DEFAULT["findtime"]])
    lock = max((rule.get("lockout_minutes") or 0) * 60 for rule in locking)
    return {
        "maxretry": max(1, failures - MARGIN),
        "findtime": findtime,
        "bantime": max(MIN_BANTIME, findtime, lock),
    }
