#!/usr/bin/python
"""Bring the mail directory to match the roster, in one task."""

DOCUMENTATION = r"""
module: mail_directory
short_description: Bring the mail directory to match the roster
description:
  - Runs on the LDAP host. Reads every account the directory holds, renders the roster with
    those addresses as O(existing) (so an address never changes once given), and adds,
    modifies, locks, unlocks and recalls entries so that the directory matches, in one call.
  - The whole roster is checked first; when anything is wrong, nothing is written.
  - People are C(uid=<id>,ou=people), unit and fixed mailboxes C(uid=<id>,ou=mailboxes), and
    the units a tree of C(ou=<id>) entries under C(ou=units), each under its parent.
  - A locked or recalled account gets C(pwdAccountLockedTime=000001010000Z), so it cannot log
    in; it keeps its entry, its address and its mail. An account in the directory that is no
    longer in the roster is recalled, never deleted.
  - New accounts get an initial password derived from O(initial_password_seed), with
    C(pwdReset=TRUE), so the user must change it at the first login. Existing passwords are
    touched only when an account is reopened.
  - A person moved to another unit under a policy with C(transfer.address=new) gets the new
    address the renderer gives (C(mail)); the mailbox stays where it is (C(mailStorage), set
    when an account is created, names it on disk, and is never changed), and so do the mail and
    the password. The old address is kept for good in C(mailFormerAddress), so nobody else gets
    it, and delivers to the same mailbox (C(mailForward)) until C(mailForwardUntil), the policy's
    C(transfer.forward_days) from now; the lifecycle job then ends the forward.
  - A unit mailbox whose delegates (its head and C(delegates) in the roster) change is handed
    over - the new delegates can open it, the old ones no longer can, and its password is reset to
    a new initial password (derived like a new account's) with C(pwdReset=TRUE), so that whoever
    knew the old one loses it. Its mail is not touched.
  - An account the lifecycle job locked or recalled (C(mailStatusReason) set) stays so while the
    roster says C(active), until the person's C(reopen) date (the day of the written request)
    is on or after the day it was locked. Reopening, like unlocking an account the roster had
    locked, gives a new initial password (derived like a new account's) with C(pwdReset=TRUE).
options:
  roster:
    description: The roster (C(mail_roster)).
    type: dict
    required: true
  policy:
    description: The roster's policy, resolved by the C(mail_policy) filter on the controller.
    type: dict
    required: true
  base_dn:
    description: The directory suffix, such as C(dc=gialai,dc=gov,dc=vn).
    type: str
    required: true
  server_uri:
    description: Where slapd listens. With C(ldapi:///) and no O(bind_dn), the module binds as
      root through SASL EXTERNAL.
    type: str
    default: ldapi:///
  bind_dn:
    description: Bind with this DN and O(bind_pw) instead of SASL EXTERNAL.
    type: str
  bind_pw:
    description: The password of O(bind_dn).
    type: str
  initial_password_seed:
    description:
      - A random secret from which each new account's initial password is derived
        (C(mailgov.passwords.derived_password)); the controller derives the same passwords with
        the C(initial_password) filter, so no password travels. Required when accounts are added.
    type: str
  mail_host:
    description: The server that holds the mailboxes (C(mailHost)).
    type: str
requirements: [python3-ldap]
notes:
  - Supports check mode and C(--diff); passwords never appear in the diff or the result.
"""

EXAMPLES = r"""
- name: Bring the directory to match the roster
  mail_directory:
    roster: "{{ mail_roster }}"
    policy: "{{ mail_roster | mail_policy }}"
    base_dn: dc=gialai,dc=gov,dc=vn
    initial_password_seed: "{{ seed }}"
  register: sync
"""

RETURN = r"""
created:
  description: The accounts added, each with C(id) and C(address).
  type: list
  returned: always
updated:
  description: Addresses of accounts whose attributes changed.
  type: list
  returned: always
locked:
  description: Addresses locked now (status locked).
  type: list
  returned: always
unlocked:
  description: Addresses unlocked now (status active again).
  type: list
  returned: always
reopened:
  description: The accounts unlocked now with a new initial password, each with C(id) and C(address).
  type: list
  returned: always
handed_over:
  description: The unit mailboxes whose delegates changed, now with a new initial password, each with
    C(id), C(address), C(from) and C(to) (the delegates' ids before and after).
  type: list
  returned: always
transferred:
  description: People moved to another unit now, each with C(id), C(from_unit), C(to_unit), C(from) and
    C(to) (the addresses before and after; the same when the policy keeps the address) and
    C(forward_until) (when mail to the old address stops arriving; null when the address is kept).
  type: list
  returned: always
held:
  description: Addresses the roster says are active but the lifecycle job keeps locked or recalled.
  type: list
  returned: always
recalled:
  description: Addresses recalled now (status recalled, or gone from the roster).
  type: list
  returned: always
units:
  description: Counts of unit entries C(added), C(updated), C(moved) and C(removed).
  type: dict
  returned: always
accounts:
  description: How many accounts the roster renders.
  type: int
  returned: always
"""

import datetime  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402
from mailgov.accounts import render_directory  # noqa: E402
from mailgov.errors import RosterError  # noqa: E402
from mailgov.passwords import derived_password  # noqa: E402

try:
    import ldap
    import ldap.dn
    import ldap.sasl
    from ldap.controls import SimplePagedResultsControl
except ImportError:
    ldap = None

LOCKED = "000001010000Z"  # ppolicy: locked by the administrator until unlocked
MANAGED = ("uid", "cn", "sn", "givenName", "displayName", "mail", "mailAlias", "mailQuota",
           "mailKind", "mailStatus", "mailUnit", "mailDelegate", "mailHost", "ou")
UNIT_MANAGED = ("ou", "description", "displayName", "mailUnit", "mailUnitType", "mail")
# Set by a transfer (and the forward ended by the lifecycle job), never from the roster alone.
TRANSFER = ("mailStorage", "mailFormerAddress", "mailForward", "mailForwardUntil")
ACCOUNT_CLASSES = ("inetOrgPerson", "mailAccount")
UNIT_CLASSES = ("organizationalUnit", "mailOrgUnit")
WINDOW = 64  # operations in flight, so slapd's threads hash passwords in parallel


def rdn(attr, value):
    return f"{attr}={ldap.dn.escape_dn_chars(value)}"


class Directory:
    def __init__(self, module):
        self.module = module
        params = module.params
        self.base = params["base_dn"]
        self.people = f"ou=people,{self.base}"
        self.mailboxes = f"ou=mailboxes,{self.base}"
        self.units = f"ou=units,{self.base}"
        self.conn = ldap.initialize(params["server_uri"])
        self.conn.protocol_version = 3
        self.conn.set_option(ldap.OPT_REFERRALS, 0)
        if params["bind_dn"]:
            self.conn.simple_bind_s(params["bind_dn"], params["bind_pw"] or "")
        else:
            self.conn.sasl_interactive_bind_s("", ldap.sasl.external())
        self.pending = []

    def search(self, base, scope, filterstr, attrs):
        """All entries, in pages, so that no size limit cuts the answer short."""
        page = SimplePagedResultsControl(True, size=1000, cookie="")
        found = {}
        while True:
            try:
                msgid = self.conn.search_ext(base, scope, filterstr, list(attrs), serverctrls=[page])
                _, data, _, controls = self.conn.result3(msgid)
            except ldap.NO_SUCH_OBJECT:
                return found
            for dn, entry in data:
                if dn:
                    found[dn] = {k: [v.decode("utf-8") for v in vals] for k, vals in entry.items()}
            cookie = next((c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType), b"")
            if not cookie:
                return found
            page.cookie = cookie

    def exists(self, dn):
        try:
            self.conn.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", ["1.1"])
            return True
        except ldap.NO_SUCH_OBJECT:
            return False

    def submit(self, kind, dn, *args):
        call = {"add": self.conn.add_ext, "modify": self.conn.modify_ext,
                "rename": self.conn.rename, "delete": self.conn.delete_ext}[kind]
        self.pending.append((call(dn, *args), kind, dn))
        if len(self.pending) >= WINDOW:
            self.flush()

    def flush(self):
        pending, self.pending = self.pending, []
        for msgid, kind, dn in pending:
            try:
                self.conn.result3(msgid)
            except ldap.LDAPError as err:
                info = err.args[0] if err.args and isinstance(err.args[0], dict) else {}
                detail = info.get("info") or info.get("desc") or str(err)
                self.module.fail_json(msg=f"mail_directory: could not {kind} {dn}: {detail}")


def encode(attrs):
    return {k: [v.encode("utf-8") for v in vals] for k, vals in attrs.items()}


def now(days=0):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return moment.strftime("%Y%m%d%H%M%SZ")


def lower(values):
    return [v.lower() for v in values]


def account_attrs(account, person_dn, mail_host):
    names = [account["display_name"]]
    if account["ascii_name"] != account["display_name"]:
        names.append(account["ascii_name"])  # found when searched without diacritics
    attrs = {
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
        "ou": [account["unit_name"]] if account["kind"] == "person" and account["unit_name"] else [],
    }
    return attrs


def unit_attrs(unit):
    return {
        "ou": [unit["id"]],
        "description": [unit["name"]],
        "displayName": [unit["name"]],
        "mailUnit": [unit["id"]],
        "mailUnitType": [unit["type"]],
        "mail": [unit["address"]] if unit["address"] else [],
    }


def changes(current, desired, managed):
    """Modifications that bring the managed attributes of current to desired."""
    mods = []
    for attr in managed:
        want = desired.get(attr, [])
        have = current.get(attr, [])
        if sorted(want) != sorted(have):
            if want:
                mods.append((ldap.MOD_REPLACE, attr, [v.encode("utf-8") for v in want]))
            elif have:
                mods.append((ldap.MOD_DELETE, attr, None))
    return mods


def missing_classes(current, classes):
    have = {c.lower() for c in current.get("objectClass", [])}
    return [c for c in classes if c.lower() not in have]


def describe(name, attrs):
    # One line per value, each naming its entry, so that a line diff reads entry by entry.
    return "".join(f"{name}: {attr}: {value}\n" for attr in sorted(attrs) for value in attrs[attr])


class Sync:
    def __init__(self, module, directory):
        self.module = module
        self.dir = directory
        self.check = module.check_mode
        self.before, self.after = [], []
        self.result = {"created": [], "updated": [], "locked": [], "unlocked": [], "recalled": [],
                       "reopened": [], "held": [], "handed_over": [], "transferred": [],
                       "units": {"added": 0, "updated": 0, "moved": 0, "removed": 0}}

    def write(self, kind, dn, *args):
        if not self.check:
            self.dir.submit(kind, dn, *args)

    def write_barrier(self):
        """Wait for what is in flight: a move must be done before anything below it is touched."""
        if not self.check:
            self.dir.flush()

    def diff(self, dn, before, after):
        if self.module._diff:
            name = dn[: -len(self.dir.base) - 1] if dn.endswith("," + self.dir.base) else dn
            if before is not None:
                self.before.append(describe(name, before))
            if after is not None:
                self.after.append(describe(name, after))

    def run(self, roster, policy, seed, mail_host):
        d = self.dir
        accounts_found = {}
        for base in (d.people, d.mailboxes):
            accounts_found.update(d.search(base, ldap.SCOPE_ONELEVEL, "(objectClass=mailAccount)",
                                           ("objectClass", "pwdAccountLockedTime", "mailStatusReason",
                                            "mailStatusChanged", *TRANSFER, *MANAGED)))
        # With the unit each account was last synced with and its former addresses: a transfer
        # is a unit that changed, and an address once given is never given again.
        existing = {e["uid"][0]: {"address": e["mail"][0], "unit": (e.get("mailUnit") or [None])[0],
                                  "former": e.get("mailFormerAddress", [])}
                    for e in accounts_found.values() if e.get("uid") and e.get("mail")}
        try:
            rendered = render_directory(roster, existing, policy=policy)
        except RosterError as err:
            self.module.fail_json(msg=f"mail_directory: the roster has {err}; nothing was changed",
                                  problems=err.problems)
        accounts = rendered["accounts"]
        new = [a for a in accounts if a["id"] not in existing]
        if new and not seed:
            self.module.fail_json(msg="mail_directory: initial_password_seed is needed to add "
                                      f"{', '.join(a['id'] for a in new[:10])}; nothing was changed")
        rules = policy["password"]
        passwords = {a["id"]: derived_password(seed, a["id"], rules) for a in new}
        self.new_password = lambda ident: self._reopen_password(seed, ident, rules)
        self.forward_days = (policy.get("transfer") or {}).get("forward_days") or 90

        for container in (d.people, d.mailboxes, d.units):
            if not d.exists(container):
                attrs = {"objectClass": ["organizationalUnit"], "ou": [container.split(",")[0][3:]]}
                self.diff(container, None, attrs)
                self.write("add", container, list(encode(attrs).items()))
        self.write_barrier()
        self.sync_units(rendered["units"])
        self.write_barrier()
        self.sync_accounts(accounts, accounts_found, passwords, mail_host)
        self.remove_units(rendered["units"])
        self.write_barrier()
        self.result["accounts"] = len(accounts)
        changed = bool(self.before or self.after or any(
            self.result[k] for k in ("created", "updated", "locked", "unlocked", "recalled", "transferred"))
            or any(self.result["units"].values()))
        if self.module._diff and changed:
            self.result["diff"] = {"before": "".join(self.before), "after": "".join(self.after),
                                   "before_header": "directory", "after_header": "roster"}
        return changed

    def _reopen_password(self, seed, ident, rules):
        if not seed:
            self.module.fail_json(msg=f"mail_directory: initial_password_seed is needed to reopen {ident}")
        return derived_password(seed, ident, rules)

    def unit_dn(self, unit):
        parts = [rdn("ou", uid) for uid in reversed(unit["path"])]
        return ",".join(parts + [self.dir.units])

    def sync_units(self, units):
        d = self.dir
        self.units_found = d.search(d.units, ldap.SCOPE_SUBTREE, "(objectClass=mailOrgUnit)",
                                    ("objectClass", *UNIT_MANAGED))
        found_by_id = {e["mailUnit"][0]: dn for dn, e in self.units_found.items() if e.get("mailUnit")}
        depth = 0
        for unit in units:  # parents first
            if len(unit["path"]) != depth:
                depth = len(unit["path"])
                self.write_barrier()  # a unit is added only once its parent exists
            dn = self.unit_dn(unit)
            desired = unit_attrs(unit)
            old_dn = found_by_id.get(unit["id"])
            if old_dn is None:
                attrs = dict(desired, objectClass=list(UNIT_CLASSES))
                attrs = {k: v for k, v in attrs.items() if v}
                self.diff(dn, None, attrs)
                self.write("add", dn, list(encode(attrs).items()))
                self.result["units"]["added"] += 1
                continue
            if old_dn.lower() != dn.lower():
                parent = dn.split(",", 1)[1]
                self.diff(old_dn, {"moved to": [dn]}, None)
                self.write("rename", old_dn, rdn("ou", unit["id"]), parent)
                self.result["units"]["moved"] += 1
                self._rebase(old_dn, dn, found_by_id)
                self.write_barrier()
            current = self.units_found.get(dn, {})
            mods = changes(current, desired, UNIT_MANAGED)
            classes = missing_classes(current, UNIT_CLASSES)
            if classes:
                mods.append((ldap.MOD_ADD, "objectClass", [c.encode() for c in classes]))
            if mods:
                self.diff(dn, {k: current.get(k, []) for k in UNIT_MANAGED if current.get(k)},
                          {k: v for k, v in desired.items() if v})
                self.write("modify", dn, mods)
                self.result["units"]["updated"] += 1

    def _rebase(self, old_dn, new_dn, found_by_id):
        """After a move, the moved entry and those below it have new DNs."""
        old = old_dn.lower()

        def moved(dn):
            low = dn.lower()
            return dn[: len(dn) - len(old_dn)] + new_dn if low == old or low.endswith("," + old) else dn

        for uid, dn in found_by_id.items():
            found_by_id[uid] = moved(dn)
        self.units_found = {moved(dn): entry for dn, entry in self.units_found.items()}

    def remove_units(self, units):
        keep = {u["id"] for u in units}
        gone = [(dn, e) for dn, e in self.units_found.items() if e.get("mailUnit", [None])[0] not in keep]
        for dn, entry in sorted(gone, key=lambda item: -item[0].count(",")):  # children first
            self.diff(dn, {k: entry.get(k, []) for k in UNIT_MANAGED if entry.get(k)}, None)
            self.write("delete", dn, None)
            self.result["units"]["removed"] += 1

    def sync_accounts(self, accounts, found, initial_passwords, mail_host):
        d = self.dir
        found_by_uid = {e["uid"][0]: (dn, e) for dn, e in found.items() if e.get("uid")}
        person_dn = lambda ident: f"{rdn('uid', ident)},{d.people}"  # noqa: E731
        stamp = now()
        seen = set()
        for account in accounts:
            seen.add(account["id"])
            base = d.people if account["kind"] == "person" else d.mailboxes
            dn = f"{rdn('uid', account['id'])},{base}"
            desired = account_attrs(account, person_dn, mail_host)
            locked = account["status"] != "active"
            entry = found_by_uid.get(account["id"])
            if entry is None:
                attrs = {k: v for k, v in desired.items() if v}
                attrs["objectClass"] = list(ACCOUNT_CLASSES)
                attrs["mailStatusChanged"] = [stamp]
                attrs["mailStorage"] = [account["address"]]
                self.diff(dn, None, attrs)
                secret = dict(attrs, userPassword=[initial_passwords[account["id"]]], pwdReset=["TRUE"])
                if locked:
                    secret["pwdAccountLockedTime"] = [LOCKED]
                self.write("add", dn, list(encode(secret).items()))
                self.result["created"].append({"id": account["id"], "address": account["address"]})
                continue
            old_dn, current = entry
            reason = current.get("mailStatusReason", [None])[0]
            reopen = False
            if reason and account["status"] == "active":
                since = current.get("mailStatusChanged", [""])[0][:8]
                reopen = bool(account.get("reopen")) and account["reopen"].replace("-", "") >= since
                if not reopen:
                    # The lifecycle job's lock stands until a request to reopen comes after it.
                    desired["mailStatus"] = current.get("mailStatus", ["locked"])
                    locked = True
                    self.result["held"].append(account["address"])
            handover = account["kind"] == "unit" and sorted(current.get("mailDelegate", [])) != sorted(desired["mailDelegate"])
            if handover:
                self.result["handed_over"].append({
                    "id": account["id"], "address": account["address"], "to": list(account["delegates"]),
                    "from": [ldap.dn.str2dn(dn)[0][0][1] for dn in current.get("mailDelegate", [])]})
            extra = self.transfer(account, current, desired) if account["kind"] == "person" else ()
            self.update_account(old_dn, current, desired, locked, account["address"], stamp,
                                ident=account["id"], clear_reason=bool(reason) and (reopen or account["status"] != "active"),
                                new_password=handover, extra=extra)
        for uid, (dn, current) in found_by_uid.items():
            if uid in seen or current.get("mailStatus", [""])[0] == "recalled":
                continue
            desired = {k: list(v) for k, v in current.items()}
            desired["mailStatus"] = ["recalled"]
            self.update_account(dn, current, desired, True, current.get("mail", [uid])[0], stamp)

    def transfer(self, account, current, desired):
        """A person in another unit than the directory says: the transfer's attributes.

        The mailbox stays where it is: mailStorage keeps naming it (entries made before it existed
        get the address the mailbox was made with, the one they had until now).
        """
        before_unit = (current.get("mailUnit") or [None])[0]
        if before_unit is None or before_unit == account["unit"]:
            return ()
        moved = account["transfer"]
        old = current.get("mail", [account["address"]])[0]
        until = now(self.forward_days) if moved else None
        self.result["transferred"].append({
            "id": account["id"], "from_unit": before_unit, "to_unit": account["unit"],
            "from": old, "to": account["address"], "forward_until": until})
        if not moved:
            return ()
        new = account["address"].lower()
        desired["mailStorage"] = current.get("mailStorage") or [old]
        formers = [a for a in current.get("mailFormerAddress", []) if a.lower() != new]
        desired["mailFormerAddress"] = formers + ([old] if old.lower() not in lower(formers) else [])
        # Moved back within the period: the address it takes again is no longer a forward.
        forwards = [a for a in current.get("mailForward", []) if a.lower() != new]
        desired["mailForward"] = forwards + ([old] if old.lower() not in lower(forwards) else [])
        desired["mailForwardUntil"] = [until]
        return TRANSFER

    def update_account(self, dn, current, desired, locked, address, stamp, ident=None, clear_reason=False,
                       new_password=False, extra=()):
        mods = changes(current, desired, MANAGED + tuple(extra))
        classes = missing_classes(current, ACCOUNT_CLASSES)
        if classes:
            mods.append((ldap.MOD_ADD, "objectClass", [c.encode() for c in classes]))
        was_locked = current.get("pwdAccountLockedTime", [""])[0] == LOCKED
        status_before = current.get("mailStatus", [""])[0]
        status_after = desired["mailStatus"][0]
        if locked and not was_locked:
            mods.append((ldap.MOD_REPLACE, "pwdAccountLockedTime", [LOCKED.encode()]))
        elif not locked and was_locked:
            mods.append((ldap.MOD_DELETE, "pwdAccountLockedTime", None))
            if ident is not None:
                # Reopened: a new initial password, to be changed at the next login.
                password = self.new_password(ident)
                mods.append((ldap.MOD_REPLACE, "userPassword", [password.encode("utf-8")]))
                mods.append((ldap.MOD_REPLACE, "pwdReset", [b"TRUE"]))
                self.result["reopened"].append({"id": ident, "address": address})
                new_password = False
        if new_password:
            # Handed over: whoever knew the old password loses the mailbox with it.
            password = self.new_password(ident)
            mods.append((ldap.MOD_REPLACE, "userPassword", [password.encode("utf-8")]))
            mods.append((ldap.MOD_REPLACE, "pwdReset", [b"TRUE"]))
        if clear_reason:
            mods.append((ldap.MOD_DELETE, "mailStatusReason", None))
        if status_before != status_after:
            mods.append((ldap.MOD_REPLACE, "mailStatusChanged", [stamp.encode()]))
            key = {"active": "unlocked", "locked": "locked", "recalled": "recalled"}[status_after]
            self.result[key].append(address)
        elif mods:
            self.result["updated"].append(address)
        if mods:
            shown = {m[1] for m in mods} - {"pwdAccountLockedTime", "mailStatusChanged", "mailStatusReason",
                                            "userPassword", "pwdReset"}
            self.diff(dn, {k: current.get(k, []) for k in sorted(shown) if current.get(k)},
                      {k: desired.get(k, []) for k in sorted(shown) if desired.get(k)})
            self.write("modify", dn, mods)


def main():
    module = AnsibleModule(
        argument_spec={
            "roster": {"type": "dict", "required": True},
            "policy": {"type": "dict", "required": True},
            "base_dn": {"type": "str", "required": True},
            "server_uri": {"type": "str", "default": "ldapi:///"},
            "bind_dn": {"type": "str"},
            "bind_pw": {"type": "str", "no_log": True},
            "initial_password_seed": {"type": "str", "no_log": True},
            "mail_host": {"type": "str"},
        },
        supports_check_mode=True,
    )
    if ldap is None:
        module.fail_json(msg=missing_required_lib("python3-ldap"))
    try:
        directory = Directory(module)
    except ldap.LDAPError as err:
        module.fail_json(msg=f"mail_directory: cannot reach the directory at {module.params['server_uri']}: {err}")
    sync = Sync(module, directory)
    changed = sync.run(module.params["roster"], module.params["policy"],
                       module.params["initial_password_seed"], module.params["mail_host"])
    module.exit_json(changed=changed, **sync.result)


if __name__ == "__main__":
    main()
