"""The lifecycle job's rules (mailgov-lifecycle): what the regulation's periods ask for an account now.

Pure, so that they are tested without a directory. An account is the state ``mailgov.state.read``
gives; the job carries out what :func:`decide` says through the transitions of ``mailgov.state``.
"""

import datetime

from . import state as states

REASONS = {
    "unused": "no login for {days} days (limit {limit})",
    "initial-password": "initial password not changed for {days} days (limit {limit})",
}
normalise = states.read


def parse_last_logins(text):
    """Dovecot's file dict: lines alternate key and value; keys shared/last-login/<address>."""
    lines = text.splitlines()
    found = {}
    prefix = "shared/last-login/"
    for key, value in zip(lines[0::2], lines[1::2]):
        if key.startswith(prefix):
            try:
                found[key[len(prefix):].lower()] = datetime.datetime.fromtimestamp(int(value), states.UTC)
            except ValueError:
                continue
    return found


def last_login(account, logins):
    """The last login with the account's address or, before a transfer, a former one."""
    return max((logins[a] for a in [account["address"], *account["former"]] if a in logins), default=None)


def forward_ended(account, now):
    """The old addresses whose forward has ended, with a sentence for the log; None if none."""
    change = states.end_forward(account, now)
    return change.reason if change else None


def days_between(earlier, later):
    return (later - earlier).days


def _left_alone(account):
    """The roster's and administrators' locks, and every recall, are not the job's to change."""
    by = states.locked_by(account["status"], account["reason"], account.get("locked", False))
    return account["status"] == "recalled" or by in (states.ROSTER, states.ADMIN)


def _reminder(account, now, rules):
    max_age, warning = rules.get("max_age_days"), rules.get("expire_warning_days")
    if not (max_age and warning and account["password_changed"]):
        return []
    expires = account["password_changed"] + datetime.timedelta(days=max_age)
    if expires - datetime.timedelta(days=warning) <= now < expires:
        left = max(1, -(-int((expires - now).total_seconds()) // 86400))
        return [("remind", "password-expiry", f"password expires on {expires:%Y-%m-%d} ({left} days left)")]
    return []


def _initial_password(account, now, rules):
    issued = account["password_changed"] or account["created"]
    grace = rules.get("initial_password_grace_days")
    if grace and issued and days_between(issued, now) >= grace:
        days = days_between(issued, now)
        return [("lock", "initial-password", REASONS["initial-password"].format(days=days, limit=grace))]
    return []


def decide(account, last_login, now, rules):
    """What the rules ask for this account now: a list of (action, reason code, sentence).

    Actions: recall, lock, remind.
    """
    if _left_alone(account):
        return []
    moments = [t for t in (last_login, account["password_changed"], account["created"]) if t]
    if not moments:
        return []
    idle = days_between(max(moments), now)
    person = account["kind"] == "person"
    recall = rules.get("recall_unused_days") if person else rules.get("unit_unused_recall_days")
    if recall and idle >= recall:
        return [("recall", "unused", REASONS["unused"].format(days=idle, limit=recall))]
    if account["status"] != "active" or not person:
        return []
    lock = rules.get("lock_unused_days")
    if lock and idle >= lock:
        return [("lock", "unused", REASONS["unused"].format(days=idle, limit=lock))]
    if account["reset"]:
        return _initial_password(account, now, rules)
    return _reminder(account, now, rules)
