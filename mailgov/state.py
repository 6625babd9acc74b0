"""The state of one account, read from its directory entry, and every way it may change.

Pure: no directory here. The roster sync (``mailgov.directory_plan``) and the lifecycle job
(``mailgov.lifecycle`` and ``mailgov-lifecycle``) both read an entry with :func:`read` and change
it only through the transitions below, so that both writers follow one set of rules. Each
transition returns a :class:`Transition`: the LDAP modifications as plain tuples
``("replace"|"add"|"delete", attr, [values] or None)`` and a sentence saying why, or raises
:class:`mailgov.errors.TransitionError`.

Who locked an account is recorded with the attributes the schema already has, and only this
module reads them:

===========================================  ==============================================
entry                                        state
===========================================  ==============================================
``mailStatus: active``, no lock              active
``mailStatus: locked|recalled``, no          locked or recalled by the roster (``status`` in
``mailStatusReason``                         the roster, or gone from it)
``mailStatusReason: <code>`` (``unused``,    locked or recalled by the lifecycle job, for that
``initial-password``)                        reason
``mailStatusReason: admin[: why]``, or       locked by an administrator (the second: by hand,
``pwdAccountLockedTime: 000001010000Z`` with  with ldapmodify)
``mailStatus: active``
===========================================  ==============================================

A lock always carries ``pwdAccountLockedTime: 000001010000Z`` (ppolicy: locked until unlocked);
another time there is ppolicy's own lockout after failed binds, which ends by itself and is no
state of ours. ``mailStatusChanged`` is when the status last changed: the day of the lock.
"""

import datetime

from .errors import TransitionError

LOCKED = "000001010000Z"  # ppolicy: locked by the administrator until unlocked
UTC = datetime.timezone.utc
ROSTER, JOB, ADMIN = "roster", "lifecycle job", "administrator"
ADMIN_REASON = "admin"
STATUSES = ("active", "locked", "recalled")
# Set by a transfer (and the forward ended by the lifecycle job), never from the roster alone.
TRANSFER = ("mailStorage", "mailFormerAddress", "mailForward", "mailForwardUntil")
PASSWORD = ("userPassword", "pwdReset")


class Transition:
    """What a transition writes (``mods``) and why (``reason``, one sentence)."""

    __slots__ = ("mods", "reason")

    def __init__(self, mods, reason):
        self.mods = list(mods)
        self.reason = reason

    def __bool__(self):
        return bool(self.mods)

    def __repr__(self):
        return f"Transition({self.mods!r}, {self.reason!r})"


def parse_time(value):
    """A directory time (20250102030405Z, maybe with a fraction) as an aware datetime."""
    if not value:
        return None
    # Sliced, not strptime'd: the sync reads four of these for each of tens of thousands of entries.
    digits = value.rstrip("Z").split(".")[0]
    if len(digits) != 14 or not digits.isdigit():
        raise ValueError(f"{value!r} is not a directory time (YYYYMMDDHHMMSSZ)")
    return datetime.datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:8]), int(digits[8:10]),
                             int(digits[10:12]), int(digits[12:14]), tzinfo=UTC)


def ldap_time(moment):
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def locked_by(status, reason, locked):
    """Who holds the account locked or recalled: ROSTER, JOB, ADMIN, or None when nobody does."""
    if reason and (reason == ADMIN_REASON or reason.startswith(ADMIN_REASON + ":")):
        return ADMIN
    if reason:
        return JOB
    if status in ("locked", "recalled"):
        return ROSTER
    return ADMIN if locked else None


def read(entry):
    """The state of an account from its entry (attribute: [str]); the one reader of its status."""
    first = lambda name: (entry.get(name) or [None])[0]  # noqa: E731
    status = first("mailStatus") or "active"
    reason = first("mailStatusReason")
    locked = first("pwdAccountLockedTime") == LOCKED
    return {
        "uid": first("uid"),
        "address": (first("mail") or "").lower(),
        "mail": first("mail"),
        "name": first("displayName") or first("uid"),
        "kind": first("mailKind") or "person",
        "unit": first("mailUnit"),
        "status": status,
        "reason": reason,
        "by": locked_by(status, reason, locked),
        "status_changed": parse_time(first("mailStatusChanged")),
        "locked": locked,
        "created": parse_time(first("createTimestamp")),
        "password_changed": parse_time(first("pwdChangedTime")),
        "reset": (first("pwdReset") or "").upper() == "TRUE",
        "delegates": list(entry.get("mailDelegate") or []),
        # Where the mailbox is on disk: named by the address it was made with.
        "storage": (first("mailStorage") or first("mail") or "").lower(),
        "former": [a.lower() for a in entry.get("mailFormerAddress") or []],
        "forwards": [a.lower() for a in entry.get("mailForward") or []],
        "forward_until": parse_time(first("mailForwardUntil")),
        "aliases": [a.lower() for a in entry.get("mailAlias") or []],
        # As written, for the transitions that keep them.
        "transfer_attrs": {attr: list(entry.get(attr) or []) for attr in TRANSFER},
    }


def describe(state):
    """The state in words: 'active', 'locked by the lifecycle job (unused) on 2025-01-01'."""
    if state["by"] is None:
        return "active"
    what = "recalled" if state["status"] == "recalled" else "locked"
    why = f" ({state['reason']})" if state["reason"] else ""
    since = state["status_changed"]
    return f"{what} by the {state['by']}{why}" + (f" on {since:%Y-%m-%d}" if since else "")


def _status(state, status, now, lock):
    """The modifications that give the account this status, locked or not."""
    mods = []
    if state["status"] != status:
        mods.append(("replace", "mailStatus", [status]))
        mods.append(("replace", "mailStatusChanged", [ldap_time(now)]))
    if lock and not state["locked"]:
        mods.append(("replace", "pwdAccountLockedTime", [LOCKED]))
    elif not lock and state["locked"]:
        mods.append(("delete", "pwdAccountLockedTime", None))
    return mods


def new_password(password):
    """A new initial password, to be changed at the next login (pwdReset)."""
    return [("replace", "userPassword", [password]), ("replace", "pwdReset", ["TRUE"])]


def _clear_reason(state):
    return [("delete", "mailStatusReason", None)] if state["reason"] else []


# The roster's transitions.
def lock_by_roster(state, status, now):
    """The roster says locked or recalled: its lock, whoever held one before."""
    if status not in ("locked", "recalled"):
        raise TransitionError(f"{state['uid']}: the roster can lock or recall, not set {status!r}")
    mods = _status(state, status, now, lock=True) + _clear_reason(state)
    return Transition(mods, f"{status} by the roster" + (f", no longer by the {state['by']}" if state["by"]
                                                          not in (None, ROSTER) else ""))


def recall_by_absence(state, now):
    """Gone from the roster: recalled, never deleted; the mailbox and its mail stay."""
    if state["status"] == "recalled":
        return Transition([], f"already {describe(state)}")
    mods = _status(state, "recalled", now, lock=True) + _clear_reason(state)
    return Transition(mods, "recalled: no longer in the roster (the entry, its address and its mail are kept)")


def unlock_by_roster(state, now, password):
    """The roster says active again after its own lock: unlocked, with a new initial password."""
    if state["by"] != ROSTER:
        raise TransitionError(f"{state['uid']} is {describe(state)}, not by the roster; it needs a reopen request")
    mods = _status(state, "active", now, lock=False) + new_password(password)
    return Transition(mods, f"unlocked: the roster says active again (was {describe(state)}); new initial password")


def reopen_from(state, wait_days):
    """The first moment the regulation lets a lock end, or None when it may end at once."""
    since = state["status_changed"]
    if not wait_days or since is None:
        return None
    return since + datetime.timedelta(days=wait_days)


def check_reopen(state, now, wait_days, by=(JOB, ADMIN)):
    """Raise TransitionError unless the account may be reopened now (who locked it, how long ago)."""
    address = state["address"] or state["uid"]
    if state["by"] is None:
        raise TransitionError(f"{address} is not locked; nothing to reopen")
    if state["by"] not in by:
        raise TransitionError(f"{address} is {describe(state)}: set status: active in the roster and run "
                              "playbooks/accounts.yml instead")
    earliest = reopen_from(state, wait_days)
    if earliest is not None and now < earliest:
        raise TransitionError(f"{address} was locked on {state['status_changed']:%Y-%m-%d}; the regulation "
                              f"reopens it only {wait_days} days later, from {earliest:%Y-%m-%d}")


def reopen(state, now, wait_days, password, by=(JOB, ADMIN)):
    """Reopen a lock of the lifecycle job or an administrator: active, new initial password."""
    check_reopen(state, now, wait_days, by)
    mods = _status(state, "active", now, lock=False) + _clear_reason(state) + new_password(password)
    return Transition(mods, f"reopened (was {describe(state)}); new initial password, to be changed at the next login")


def reset_password(state, password):
    """A forgotten or expired password, or one locked by too many failures, replaced by a new
    initial password to be changed at the next login. slapd's password policy clears the
    failures, their lock and the grace logins used when the password changes. A recalled account
    is refused, and so is a lock that the roster, the lifecycle job or an administrator holds:
    the account stays locked until reopened (playbooks/reopen.yml, or the roster)."""
    address = state["address"] or state["uid"]
    if state["status"] == "recalled":
        raise TransitionError(f"{address} is recalled: there is no account to reset; to give it back, "
                              "add the person to the roster again and run playbooks/accounts.yml")
    if state["by"] is not None:
        raise TransitionError(f"{address} is {describe(state)}: a new password would not open it; reopen it "
                              "with playbooks/reopen.yml (which gives a new initial password) or in the roster")
    return Transition(new_password(password), "new initial password, to be changed at the next login")


def check_request(state, request):
    """Raise TransitionError unless the roster's request (its date, 2025-06-02) may end the lock.

    The lock stands until a request dated on or after the day of the lock."""
    since = state["status_changed"]
    if not request:
        raise TransitionError(f"{state['address']} is {describe(state)}: it stays so until the roster has "
                              "reopen: <date of the written request>")
    if since is not None and str(request).replace("-", "") < f"{since:%Y%m%d}":
        raise TransitionError(f"{state['address']} is {describe(state)}: the request to reopen ({request}) "
                              "is older than the lock; it needs a new one")


def reopen_by_request(state, request, now, wait_days, password):
    """The roster says active and has the date of a written request to reopen: reopened when the
    request is on or after the lock and, as the policy says, reopen_wait_days have passed."""
    check_request(state, request)
    return reopen(state, now, wait_days, password)


def roster_status(state, account, now, wait_days, password):
    """The state change the roster asks for an account it has: (what happened, Transition).

    What happened is None, locked, recalled, unlocked, reopened or held (the roster says active,
    the lifecycle job's or an administrator's lock stands). ``password()`` gives a new initial
    password, called only when one is needed."""
    status = account["status"]
    if status != "active":
        change = lock_by_roster(state, status, now)
        return (status if state["status"] != status else None), change
    if state["by"] is None:
        return None, Transition([], "active")
    if state["by"] == ROSTER:
        return "unlocked", unlock_by_roster(state, now, password())
    try:
        check_request(state, account.get("reopen"))
        check_reopen(state, now, wait_days)
    except TransitionError as err:
        # Held: locked as it was (also when someone removed the lock by hand).
        return "held", Transition(_status(state, state["status"], now, lock=True), f"held: {err}")
    return "reopened", reopen(state, now, wait_days, password())


# The lifecycle job's transitions.
def lock_by_job(state, code, now):
    """Locked by the lifecycle job for this reason code; it still receives mail."""
    return _by_job(state, "locked", code, now)


def recall_by_job(state, code, now):
    """Recalled by the lifecycle job: it receives no more mail; its mailbox is archived then removed."""
    return _by_job(state, "recalled", code, now)


def _by_job(state, status, code, now):
    """The job's lock or recall: never over the roster's or an administrator's, never twice a recall."""
    if state["by"] in (ROSTER, ADMIN) or state["status"] == "recalled":
        raise TransitionError(f"{state['address']} is {describe(state)}; the lifecycle job leaves it so")
    mods = [("replace", "pwdAccountLockedTime", [LOCKED]), ("replace", "mailStatus", [status]),
            ("replace", "mailStatusReason", [code]), ("replace", "mailStatusChanged", [ldap_time(now)])]
    return Transition(mods, f"{status} by the lifecycle job ({code})")


def lock_by_admin(state, why, now):
    """Locked by an administrator, with why; only a reopen request or the reopen command ends it."""
    if state["status"] == "recalled":
        raise TransitionError(f"{state['address']} is {describe(state)}; a recalled account cannot be locked")
    mods = _status(state, "locked", now, lock=True)
    mods.append(("replace", "mailStatusReason", [f"{ADMIN_REASON}: {why}" if why else ADMIN_REASON]))
    return Transition(mods, "locked by an administrator" + (f": {why}" if why else ""))


def archived_by_job(state):
    """Whether the mailbox is the lifecycle job's to archive and remove: it recalled the account."""
    return state["status"] == "recalled" and state["by"] == JOB


def end_forward(state, now):
    """The forward of a transfer's old addresses ends when its period does; they stay reserved."""
    until = state["forward_until"]
    if not state["forwards"] or until is None or now < until:
        return Transition([], "no forward to end")
    return Transition([("delete", "mailForward", None), ("delete", "mailForwardUntil", None)],
                      f"{', '.join(state['forwards'])} moved to {state['address']}; forwarded until "
                      f"{until:%Y-%m-%d}, now refused (the address stays reserved)")


# Transfers and handovers.
def _without(values, address):
    return [v for v in values if v.lower() != address]


def _plus(values, address):
    return values + ([address] if address.lower() not in {v.lower() for v in values} else [])


def transfer(state, account, now, forward_days):
    """A person in another unit than the directory has: (what the result says, Transition).

    Under ``transfer: new`` the renderer gave a new address (account["transfer"]); the mailbox stays
    where it is (mailStorage keeps naming it; entries made before it existed get the address they
    had until now), the old address is reserved for good (mailFormerAddress) and forwarded to the
    same mailbox for forward_days. Under ``keep`` only the unit changes. (None, empty) if not moved."""
    before = state["unit"]
    if account["kind"] != "person" or before is None or before == account["unit"]:
        return None, Transition([], "same unit")
    old = state["mail"] or account["address"]
    moved = bool(account.get("transfer"))
    until = ldap_time(now + datetime.timedelta(days=forward_days)) if moved else None
    info = {"id": account["id"], "from_unit": before, "to_unit": account["unit"], "from": old,
            "to": account["address"], "forward_until": until}
    if not moved:
        return info, Transition([], f"moved from {before} to {account['unit']}, keeps {old}")
    mods = _forward(state, old, account["address"], until)
    return info, Transition(mods, f"moved from {before} to {account['unit']}: {old} -> {account['address']}, "
                                  f"forwarded until {until[:4]}-{until[4:6]}-{until[6:8]}")


def _forward(state, old, address, until):
    """The old address reserved for good and delivering to the same mailbox until ``until``
    (None: for ever); the mailbox stays where it is (mailStorage keeps naming it)."""
    new = address.lower()
    have = state["transfer_attrs"]
    # A forward that stays and has no end delivers for ever: it keeps doing so.
    for_ever = bool(_without(have["mailForward"], new)) and not have["mailForwardUntil"]
    want = {
        "mailStorage": have["mailStorage"] or [old],
        "mailFormerAddress": _plus(_without(have["mailFormerAddress"], new), old),
        # Moved back within the period: the address it takes again is no longer a forward.
        "mailForward": _plus(_without(have["mailForward"], new), old),
        # One end for every forward of the account: the later one, and for ever wins.
        "mailForwardUntil": [] if until is None or for_ever else [max([until, *have["mailForwardUntil"]])],
    }
    return [("replace", attr, values) if values else ("delete", attr, None)
            for attr, values in want.items() if sorted(values) != sorted(have[attr])]


def reserve_old_aliases(state, account, legacy):
    """Old addresses in a legacy domain that the roster no longer gives: reserved for good
    (mailFormerAddress), so nobody else is ever given them; mail to them answers 5.1.6 with the
    account's address."""
    kept = {a.lower() for a in account.get("aliases") or []}
    gone = [a for a in state["aliases"] if a not in kept and a.partition("@")[2] in legacy]
    have = state["transfer_attrs"]["mailFormerAddress"]
    want = have
    for address in gone:
        want = _plus(want, address)
    if want == have:
        return Transition([], "no old address left the roster")
    return Transition([("replace", "mailFormerAddress", want)],
                      f"{', '.join(gone)} no longer in the roster: reserved for good, mail to it refused with the new address")


def rehome(state, account, now, forward_days):
    """An account the roster re-homes (policy.rehome): from another domain, or readdressed by the
    rules. Its old address stays its own, reserved and delivering for forward_days (None: for ever)."""
    old = (account.get("rehome") or {}).get("from")
    if not old or old.lower() != (state["mail"] or "").lower():
        return None, Transition([], "not re-homed")
    until = None if forward_days is None else ldap_time(now + datetime.timedelta(days=forward_days))
    info = {"id": account["id"], "from": old, "to": account["address"], "forward_until": until}
    ends = "for ever" if until is None else f"until {until[:4]}-{until[4:6]}-{until[6:8]}"
    return info, Transition(_forward(state, old, account["address"], until),
                            f"re-homed: {old} -> {account['address']}, the old address delivers {ends}")


def handed_over(state, delegates):
    """Whether a unit mailbox goes to other delegates (their DNs) than the directory has."""
    return sorted(state["delegates"]) != sorted(delegates)


def handover(state, delegates, password):
    """A unit mailbox whose delegates change: a new initial password, so whoever knew the old one loses it."""
    if not handed_over(state, delegates):
        return Transition([], "same delegates")
    return Transition(new_password(password()), "handed over to new delegates; new initial password")
