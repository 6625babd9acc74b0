"""The plan that brings the directory to match the roster: pure, computed before anything is written.

``plan()`` takes the rendered roster (``mailgov.accounts.render_directory``), the entries the
directory holds (``{dn: {attr: [str]}}``, as ``mailgov.ldap.Connection.search`` gives them) and
returns the operations ``mailgov.ldap.Connection.apply`` carries out, in order:
``{"op": "add"|"modify"|"move"|"delete"|"barrier", "dn", "attrs"|"mods"|"rdn"+"parent", "reason"}``.
A barrier waits for every write in flight: parents exist before their children are added, and a
move is done before anything below it is touched. Accounts' state changes come from
``mailgov.state``. Initial passwords are in the operations (so that the password and the unlock are
one write) but never in what ``mailgov.server_plan.diff`` shows nor in the summary.
"""

from . import state as states
from .dn import first_value, rdn
from .errors import PlanError

MANAGED = ("uid", "cn", "sn", "givenName", "displayName", "mail", "mailAlias", "mailQuota",
           "mailKind", "mailUnit", "mailDelegate", "mailHost", "ou", "mailSuccessor", "pwdPolicySubentry")
UNIT_MANAGED = ("ou", "description", "displayName", "mailUnit", "mailUnitType", "mail")
ACCOUNT_CLASSES = ("inetOrgPerson", "mailAccount")
UNIT_CLASSES = ("organizationalUnit", "mailOrgUnit")
HIDDEN = ("userPassword", "pwdReset", "pwdAccountLockedTime", "mailStatusChanged", "mailStatusReason")
STATUS_KEYS = {"locked": "locked", "recalled": "recalled", "unlocked": "unlocked"}


def _has_class(entry, name):
    return name.lower() in {c.lower() for c in entry.get("objectClass", [])}


def _missing_classes(entry, classes):
    have = {c.lower() for c in entry.get("objectClass", [])}
    return [c for c in classes if c.lower() not in have]


def changes(current, desired, managed):
    """Modifications that bring the managed attributes of current to desired."""
    mods = []
    for attr in managed:
        want, have = desired.get(attr, []), current.get(attr, [])
        if sorted(want) != sorted(have):
            if want:
                mods.append(("replace", attr, list(want)))
            elif have:
                mods.append(("delete", attr, None))
    return mods


def after(current, mods):
    """The entry once mods are applied."""
    entry = {k: list(v) for k, v in current.items()}
    for op, attr, values in mods:
        if op == "replace":
            entry[attr] = list(values)
        elif op == "add":
            entry[attr] = entry.get(attr, []) + list(values)
        else:
            entry.pop(attr, None)
    return entry


def first_value_of(entry, attr):
    return (entry.get(attr) or [None])[0]


def account_attrs(account, person_dn, mail_host, policy_dn=None):
    names = [account["display_name"]]
    if account["ascii_name"] != account["display_name"]:
        names.append(account["ascii_name"])  # found when searched without diacritics
    return {
        "uid": [account["id"]],
        "cn": names,
        "sn": [account["surname"] or account["display_name"]],
        "displayName": [account["display_name"]],
        "mail": [account["address"]],
        "mailKind": [account["kind"]],
        "mailStatus": [account["status"]],
        "mailQuota": [str(account["quota_bytes"])],
        "givenName": [account["given_name"]] if account["given_name"] else [],
        "mailAlias": list(account["aliases"]),
        "mailUnit": [account["unit"]] if account["unit"] else [],
        "mailDelegate": [person_dn(d) for d in account["delegates"]],
        "mailHost": [mail_host] if mail_host else [],
        "mailSuccessor": [account["successor"]] if account.get("successor") else [],
        "ou": [account["unit_name"]] if account["kind"] == "person" and account["unit_name"] else [],
        # A hosted domain's password rules (ppolicy); the roster's own domain has the default ones.
        "pwdPolicySubentry": [policy_dn] if policy_dn else [],
    }


def unit_attrs(unit):
    return {
        "ou": [unit["id"]],
        "description": [unit["name"]],
        "displayName": [unit["name"]],
        "mailUnit": [unit["id"]],
        "mailUnitType": [unit["type"]],
        "mail": [unit["address"]] if unit["address"] else [],
    }


def existing(entries):
    """What the renderer needs of the directory: each account's address, unit and former addresses,
    so that an address never changes once given and a transfer is a unit that changed."""
    found = {}
    for entry in entries.values():
        if _has_class(entry, "mailAccount") and entry.get("uid") and entry.get("mail"):
            found[entry["uid"][0]] = {"address": entry["mail"][0], "unit": (entry.get("mailUnit") or [None])[0],
                                      "former": entry.get("mailFormerAddress", [])}
    return found


class Plan:
    """The operations in order, the summary, and what --diff shows of each."""

    def __init__(self, base):
        self.base = base
        self.people, self.mailboxes, self.units = (f"ou={ou},{base}" for ou in ("people", "mailboxes", "units"))
        self.operations = []
        self.summary = {"created": [], "updated": [], "locked": [], "unlocked": [], "recalled": [],
                        "reopened": [], "held": [], "handed_over": [], "transferred": [], "rehomed": [],
                        "carried": [], "units": {"added": 0, "updated": 0, "moved": 0, "removed": 0}}

    def add(self, op, dn, reason, before=None, shown=None, **fields):
        self.operations.append(dict(op=op, dn=dn, reason=reason, before=before, after=shown, **fields))

    def barrier(self):
        """Wait for what is in flight, if anything is."""
        if self.operations and self.operations[-1]["op"] != "barrier":
            self.operations.append({"op": "barrier", "reason": "what follows needs what is in flight"})

    def done(self):
        while self.operations and self.operations[-1]["op"] == "barrier":
            self.operations.pop()
        return self.operations, self.summary


def _containers(plan, entries):
    have = {dn.lower() for dn in entries}
    for container in (plan.people, plan.mailboxes, plan.units):
        if container.lower() not in have:
            attrs = {"objectClass": ["organizationalUnit"], "ou": [container.split(",")[0][3:]]}
            plan.add("add", container, "the tree's branch is missing", shown=attrs, attrs=attrs)
    plan.barrier()


def _unit_dn(plan, path):
    return ",".join([rdn("ou", uid) for uid in reversed(path)] + [plan.units])


def renamed(entries, old_dn, new_dn):
    """The entries once old_dn is moved to new_dn: it and those below it have new DNs."""
    old = old_dn.lower()

    def moved(dn):
        low = dn.lower()
        return dn[: len(dn) - len(old_dn)] + new_dn if low == old or low.endswith("," + old) else dn

    return {moved(dn): entry for dn, entry in entries.items()}


class Units:
    """The units the directory has, by DN and by id, with the DNs they have after the moves so far."""

    def __init__(self, found):
        self.entries = dict(found)
        self._index()

    def _index(self):
        self.dn_of = {(e.get("mailUnit") or [None])[0]: dn for dn, e in self.entries.items()}
        self.by_lower = {dn.lower(): e for dn, e in self.entries.items()}

    def move(self, old_dn, new_dn):
        self.entries = renamed(self.entries, old_dn, new_dn)
        self._index()


def _sync_unit(plan, unit, found):
    """Add, move or update one unit."""
    dn = _unit_dn(plan, unit["path"])
    desired = unit_attrs(unit)
    old_dn = found.dn_of.get(unit["id"])
    counts = plan.summary["units"]
    if old_dn is None:
        attrs = {k: v for k, v in dict(desired, objectClass=list(UNIT_CLASSES)).items() if v}
        plan.add("add", dn, f"unit {unit['id']} ({unit['name']}) is new in the roster", shown=attrs, attrs=attrs)
        counts["added"] += 1
        return
    if old_dn.lower() != dn.lower():
        plan.add("move", old_dn, f"unit {unit['id']} has another parent in the roster",
                 before={"moved to": [dn]}, rdn=rdn("ou", unit["id"]), parent=_unit_dn(plan, unit["path"][:-1]))
        counts["moved"] += 1
        found.move(old_dn, dn)
        plan.barrier()
    current = found.by_lower.get(dn.lower(), {})
    mods = changes(current, desired, UNIT_MANAGED)
    classes = _missing_classes(current, UNIT_CLASSES)
    if classes:
        mods.append(("add", "objectClass", classes))
    if mods:
        plan.add("modify", dn, f"unit {unit['id']} differs from the roster",
                 before={k: current.get(k, []) for k in UNIT_MANAGED if current.get(k)},
                 shown={k: v for k, v in desired.items() if v}, mods=mods)
        counts["updated"] += 1


def _units(plan, units, found):
    found = Units(found)
    depth = 0
    for unit in units:  # parents first
        if len(unit["path"]) != depth:
            depth = len(unit["path"])
            plan.barrier()  # a unit is added only once its parent exists
        _sync_unit(plan, unit, found)
    plan.barrier()
    return found.entries


def _remove_units(plan, units, found):
    keep = {u["id"] for u in units}
    gone = [(dn, e) for dn, e in found.items() if (e.get("mailUnit") or [None])[0] not in keep]
    for dn, entry in sorted(gone, key=lambda item: -item[0].count(",")):  # children first
        plan.add("delete", dn, f"unit {(entry.get('mailUnit') or ['?'])[0]} is no longer in the roster",
                 before={k: entry.get(k, []) for k in UNIT_MANAGED if entry.get(k)})
        plan.summary["units"]["removed"] += 1


class Context:
    """What every account's decision needs besides the account: the time, the policy, passwords."""

    def __init__(self, plan, policy, mail_host, derive, now, policy_dn=None):
        # derive(ident) gives an account's initial password (mailgov.passwords, from the run's seed).
        self.plan, self.mail_host, self.now, self.derive = plan, mail_host, now, derive
        self.policy_dn = policy_dn
        self.wait_days = (policy.get("lifecycle") or {}).get("reopen_wait_days") or 0
        self.forward_days = (policy.get("transfer") or {}).get("forward_days") or 90
        self.rehome_days = (policy.get("rehome") or {}).get("forward_days")

    def person_dn(self, ident):
        return f"{rdn('uid', ident)},{self.plan.people}"

    def new_password(self, ident):
        return lambda: self.derive(ident)


def _add_account(ctx, account, dn, desired):
    attrs = {k: v for k, v in desired.items() if v}
    attrs.update(objectClass=list(ACCOUNT_CLASSES), mailStatusChanged=[states.ldap_time(ctx.now)],
                 mailStorage=[account["address"]])
    shown = dict(attrs)
    # An account moved from an old server keeps its password where slapd can verify its hash.
    login = next((a for a in [account["address"], *account.get("aliases", [])] if a in ctx.carried), None)
    if login:
        attrs.update(userPassword=[ctx.carried[login]])
        what, listed = "with the password it had on the old server", "carried"
    else:
        attrs.update(userPassword=[ctx.derive(account["id"])], pwdReset=["TRUE"])
        what, listed = "with an initial password", "created"
    if account["status"] != "active":
        attrs["pwdAccountLockedTime"] = [states.LOCKED]
    ctx.plan.add("add", dn, f"{account['id']} is new in the roster ({account['status']}), {what}",
                 shown=shown, attrs=attrs)
    ctx.plan.summary[listed].append({"id": account["id"], "address": account["address"]})


def _modify(ctx, dn, current, mods, reasons):
    shown = sorted({attr for _, attr, _ in mods} - set(HIDDEN))
    new = after(current, mods)
    ctx.plan.add("modify", dn, "; ".join(reasons),
                 before={k: current.get(k, []) for k in shown if current.get(k)},
                 shown={k: new.get(k, []) for k in shown if new.get(k)}, mods=mods)


def _handover(ctx, account, state, desired, what):
    """A unit mailbox handed over to other delegates: in the summary, and a new password unless it has one."""
    if account["kind"] != "unit" or not states.handed_over(state, desired["mailDelegate"]):
        return states.Transition([], "same delegates")
    ctx.plan.summary["handed_over"].append({"id": account["id"], "address": account["address"],
                                            "to": list(account["delegates"]),
                                            "from": [first_value(d) for d in state["delegates"]]})
    if what in ("reopened", "unlocked"):  # its new initial password is given already
        return states.Transition([], "handed over to new delegates")
    return states.handover(state, desired["mailDelegate"], ctx.new_password(account["id"]))


def _count(summary, account, state, what, changed):
    if what == "held":
        summary["held"].append(account["address"])
    if what in ("reopened", "unlocked"):  # both with a new initial password, for the operator's list
        summary["reopened"].append({"id": account["id"], "address": account["address"]})
    if what in ("reopened", "unlocked") and state["status"] != "active":
        summary["unlocked"].append(account["address"])
    elif what in STATUS_KEYS:
        summary[STATUS_KEYS[what]].append(account["address"])
    elif changed:
        summary["updated"].append(account["address"])


def _update_account(ctx, account, dn, current):
    """The modifications of an account the directory has: attributes, state, transfer, handover."""
    state = states.read(current)
    desired = account_attrs(account, ctx.person_dn, ctx.mail_host, ctx.policy_dn)
    mods = changes(current, desired, MANAGED)
    classes = _missing_classes(current, ACCOUNT_CLASSES)
    mods += [("add", "objectClass", classes)] if classes else []
    reasons = ["attributes differ from the roster"] if mods else []
    successor = account.get("successor")
    if successor != first_value_of(current, "mailSuccessor"):
        reasons = [f"its unit is dissolved: mail to {account['address']} goes to {successor}" if successor
                   else f"its unit is live again: mail to {account['address']} stays in it"]
    what, change = states.roster_status(state, account, ctx.now, ctx.wait_days, ctx.new_password(account["id"]))
    info, moved = states.transfer(state, account, ctx.now, ctx.forward_days)
    if info:
        ctx.plan.summary["transferred"].append(info)
    info, rehomed = states.rehome(state, account, ctx.now, ctx.rehome_days)
    if info:
        ctx.plan.summary["rehomed"].append(info)
    reserved = states.reserve_old_aliases(state, account, ctx.legacy)
    handed = _handover(ctx, account, state, desired, what)
    for transition in (change, moved, rehomed, reserved, handed):
        mods = _merge_formers(mods, transition.mods)
        reasons += [transition.reason] if transition.mods else []
    _count(ctx.plan.summary, account, state, what, bool(mods))
    if mods:
        _modify(ctx, dn, current, mods, reasons)


def _merge_formers(mods, more):
    """mods followed by more; two replacements of mailFormerAddress become one with the addresses of both."""
    result = list(mods)
    for mod in more:
        at = next((i for i, m in enumerate(result) if m[:2] == mod[:2] == ("replace", "mailFormerAddress")), None)
        if at is None:
            result.append(mod)
        else:
            result[at] = ("replace", "mailFormerAddress", list(dict.fromkeys([*result[at][2], *mod[2]])))
    return result


def _accounts(ctx, accounts, found):
    plan = ctx.plan
    by_uid = {e["uid"][0]: (dn, e) for dn, e in found.items() if e.get("uid")}
    new = [a for a in accounts if a["id"] not in by_uid]
    if new and not ctx.seed:
        raise PlanError(f"initial_password_seed is needed to add {', '.join(a['id'] for a in new[:10])}")
    for account in accounts:
        entry = by_uid.pop(account["id"], None)
        if entry is None:
            base = plan.people if account["kind"] == "person" else plan.mailboxes
            _add_account(ctx, account, f"{rdn('uid', account['id'])},{base}",
                         account_attrs(account, ctx.person_dn, ctx.mail_host, ctx.policy_dn))
        else:
            _update_account(ctx, account, *entry)
    for uid, (dn, current) in by_uid.items():  # no longer in the roster
        change = states.recall_by_absence(states.read(current), ctx.now)
        if change:
            plan.summary["recalled"].append(current.get("mail", [uid])[0])
            _modify(ctx, dn, current, change.mods, [change.reason])


def plan(rendered, entries, policy, base_dn, mail_host, password, now, policy_dn=None, carried=None):
    """The operations and the summary that bring the directory (entries) to match the roster.

    password(ident) gives the initial password of an account (None: no seed, and then no account
    may be added, reopened or handed over). ``carried`` maps an old server's addresses to password
    hashes slapd verifies (mailgov.hashes): a new account with one of them as its address or alias
    gets that hash instead of an initial password. Raises PlanError; nothing is to be written then."""
    result = Plan(base_dn)

    def below(parent):
        tail = "," + parent.lower()
        return lambda dn: dn.lower().endswith(tail)

    in_units = below(result.units)
    units = {dn: e for dn, e in entries.items() if in_units(dn) and _has_class(e, "mailOrgUnit")}
    accounts = {dn: e for dn, e in entries.items()
                if not in_units(dn) and _has_class(e, "mailAccount")}

    def checked(ident):
        if password is None:
            raise PlanError(f"initial_password_seed is needed to give {ident} a new initial password")
        return password(ident)

    ctx = Context(result, policy, mail_host, checked, now, policy_dn)
    ctx.seed = password is not None
    ctx.carried = carried or {}
    ctx.legacy = set(rendered.get("legacy_domains") or [])
    _containers(result, entries)
    units = _units(result, rendered["units"], units)
    _accounts(ctx, rendered["accounts"], accounts)
    _remove_units(result, rendered["units"], units)
    operations, summary = result.done()
    summary["accounts"] = len(rendered["accounts"])
    return operations, summary
