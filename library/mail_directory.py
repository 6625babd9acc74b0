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
  - Each mail domain of the server (the roster's own and each in its C(hosted) list, with its own
    policy) has a branch C(ou=<domain>) right below O(base_dn). In it, people are
    C(uid=<id>,ou=people), unit and fixed mailboxes C(uid=<id>,ou=mailboxes), and the units a tree
    of C(ou=<id>) entries under C(ou=units), each under its parent. A directory made before,
    with those three right below O(base_dn), is moved under the roster's own domain in place
    (C(relocated)). Accounts of a hosted domain get its password policy (C(pwdPolicySubentry)
    names C(cn=<domain>,ou=policies)); those of a domain no longer hosted are recalled.
  - A locked or recalled account gets C(pwdAccountLockedTime=000001010000Z), so it cannot log
    in; it keeps its entry, its address and its mail. An account in the directory that is no
    longer in the roster is recalled, never deleted.
  - New accounts get an initial password derived from O(initial_password_seed), with
    C(pwdReset=TRUE), so the user must change it at the first login, except those moved from an
    old server whose password hash slapd verifies (O(carried_passwords)), who keep that password.
    Existing passwords are touched only when an account is reopened.
  - A person moved to another unit under a policy with C(transfer.address=new) gets the new
    address the renderer gives (C(mail)); the mailbox stays where it is (C(mailStorage), set
    when an account is created, names it on disk, and is never changed), and so do the mail and
    the password. The old address is kept for good in C(mailFormerAddress), so nobody else gets
    it, and delivers to the same mailbox (C(mailForward)) until C(mailForwardUntil), the policy's
    C(transfer.forward_days) from now; the lifecycle job then ends the forward.
  - An account re-homed by the roster (C(policy.rehome)), from a domain now in C(legacy_domains)
    into the roster's domain, or given the address the rules now give (C(rehome.addresses=derive)).
    As on a transfer, mailbox, mail and password stay, the old address is kept for good and
    delivers to the same mailbox, for C(rehome.forward_days) (no C(mailForwardUntil), so for ever).
  - A unit mailbox whose delegates (its head and C(delegates) in the roster) change is handed
    over - the new delegates can open it, the old ones no longer can, and its password is reset to
    a new initial password (derived like a new account's) with C(pwdReset=TRUE), so that whoever
    knew the old one loses it. Its mail is not touched.
  - An account the lifecycle job or an administrator locked or recalled stays so while the roster
    says C(active) (it is C(held)), until the person's C(reopen) date (the day of the written
    request) is on or after the day it was locked and the policy's C(lifecycle.reopen_wait_days)
    have passed since then. Reopening, like unlocking an account the roster had locked, gives a
    new initial password (derived like a new account's) with C(pwdReset=TRUE). Who locked an
    account is told by C(mailStatus) and C(mailStatusReason), as C(mailgov.state) describes.
  - The policies are resolved on the host from the roster (C(mailgov.policy.resolve)); the package
    C(mailgov) is installed there by the role C(mailgov_package) (C(playbooks/site.yml)).
  - The changes are computed first as a plan (C(mailgov.server_plan), each domain's by
    C(mailgov.directory_plan)), then written; with
    C(--diff) the plan is shown entry by entry, each change with its reason.
options:
  roster:
    description:
      - The roster (C(mail_roster)), as a mapping or as JSON text (C(mail_roster | to_json)); Ansible
        hands a roster of thousands of people over several times faster as text.
    type: dict
    required: true
  base_dn:
    description: The directory suffix, such as C(dc=gialai,dc=gov,dc=vn); each domain's branch is below it.
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
  carried_passwords:
    description:
      - A JSON file on this host mapping an old server's addresses to password hashes slapd
        verifies, as C(playbooks/import-accounts.yml) writes it. A new account whose address or
        alias is there gets that hash, without C(pwdReset), so its owner keeps the old password
        (listed in C(carried)); once written, the entry is taken out of the file. A missing file
        is no file.
    type: path
    default: /var/lib/mailgov/import/passwords.json
requirements: [python3-ldap, python3-yaml, the mailgov package (role mailgov_package)]
notes:
  - Supports check mode and C(--diff); passwords never appear in the diff or the result.
"""

EXAMPLES = r"""
- name: Bring the directory to match the roster
  mail_directory:
    roster: "{{ mail_roster | to_json }}"
    base_dn: dc=gialai,dc=gov,dc=vn
    initial_password_seed: "{{ seed }}"
  register: sync
"""

RETURN = r"""
created:
  description: The accounts added with an initial password, each with C(id) and C(address).
  type: list
  returned: always
carried:
  description: The accounts added with the password they had on an old server (O(carried_passwords)),
    each with C(id) and C(address).
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
rehomed:
  description: Accounts re-homed now, each with C(id), C(from) and C(to) (the addresses before and after)
    and C(forward_until) (when mail to the old address stops arriving; null for ever).
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
domains:
  description: The mail domains whose branches the roster has, its own first.
  type: list
  returned: always
relocated:
  description: The branches of a directory made before several domains, moved under the roster's own domain now.
  type: list
  returned: always
accounts:
  description: How many accounts the roster renders, in every domain.
  type: int
  returned: always
"""


import datetime  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

try:
    from mailgov import hosting, policy as policies, private_json, server_plan
    from mailgov.errors import DirectoryError, PlanError, RosterError, TransitionError
    from mailgov.ldap import Connection
except ImportError as err:
    MISSING = str(err)
else:
    MISSING = None

ATTRS = ("objectClass", "pwdAccountLockedTime", "mailStatusReason", "mailStatusChanged", "mailStatus",
         "mailStorage", "mailFormerAddress", "mailForward", "mailForwardUntil", "uid", "cn", "sn", "givenName",
         "displayName", "mail", "mailAlias", "mailQuota", "mailKind", "mailUnit", "mailDelegate", "mailHost",
         "mailSuccessor", "ou", "pwdPolicySubentry")
UNIT_ATTRS = ("objectClass", "ou", "description", "displayName", "mailUnit", "mailUnitType", "mail")


def read_branches(conn, base):
    """The entries of one domain's branch (or, in a directory made before, of the suffix)."""
    entries = {}
    for ou in ("people", "mailboxes", "units"):
        entries.update(conn.search(f"ou={ou},{base}", "base", attrs=["objectClass", "ou"]))
    for ou in ("people", "mailboxes"):
        entries.update(conn.search(f"ou={ou},{base}", "one", "(objectClass=mailAccount)", ATTRS))
    entries.update(conn.search(f"ou=units,{base}", "sub", "(objectClass=mailOrgUnit)", UNIT_ATTRS))
    return entries


def read_directory(conn, suffix, roster, policy):
    """Every entry the plan needs: each domain's branch, the roster's and those the directory has."""
    entries = conn.search(suffix, "one", "(&(objectClass=organizationalUnit)(associatedDomain=*))",
                          ["objectClass", "ou", "associatedDomain"])
    names = [d.name for d in hosting.read(roster, policy)]
    names += [e["associatedDomain"][0].lower() for e in entries.values() if e["associatedDomain"][0].lower() not in names]
    entries.update(conn.search(f"ou=policies,{suffix}", "one", "(objectClass=pwdPolicy)", ["objectClass"]))
    entries.update(read_branches(conn, suffix))
    for name in names:
        entries.update(read_branches(conn, hosting.domain_dn(name, suffix)))
    return entries


def read_carried(path):
    try:
        return private_json.read(path)
    except (OSError, ValueError) as err:
        raise PlanError(f"cannot read the carried passwords in {path}: {err}") from None


def used_logins(operations, carried):
    added = {v for step in operations if step["op"] == "add" for v in step["attrs"].get("userPassword", [])}
    return {login for login, value in carried.items() if value in added}


def forget_carried(path, used):
    """Take the hashes now in the directory out of the file."""
    if used:
        private_json.write(path, {k: v for k, v in read_carried(path).items() if k not in used})


def compute(module, conn):
    """The plan for the roster and the directory; fails the task, with nothing written, on bad input."""
    params = module.params
    roster = params["roster"]
    try:
        policy = policies.resolve(roster.get("policy"), roster.get("domain"))
        entries = read_directory(conn, params["base_dn"], roster, policy)
        return server_plan.plan(roster, entries, params["base_dn"], params["mail_host"],
                                params["initial_password_seed"], datetime.datetime.now(datetime.timezone.utc), policy,
                                carried=read_carried(params["carried_passwords"]))
    except RosterError as err:
        module.fail_json(msg=f"mail_directory: the roster has {err}; nothing was changed", problems=err.problems)
    except (PlanError, TransitionError) as err:
        module.fail_json(msg=f"mail_directory: {err}; nothing was changed")


def main():
    module = AnsibleModule(
        argument_spec={
            "roster": {"type": "dict", "required": True},
            "base_dn": {"type": "str", "required": True},
            "server_uri": {"type": "str", "default": "ldapi:///"},
            "bind_dn": {"type": "str"},
            "bind_pw": {"type": "str", "no_log": True},
            "initial_password_seed": {"type": "str", "no_log": True},
            "mail_host": {"type": "str"},
            "carried_passwords": {"type": "path", "default": "/var/lib/mailgov/import/passwords.json"},
        },
        supports_check_mode=True,
    )
    if MISSING:
        module.fail_json(msg=f"mail_directory: the mailgov package is missing on this host ({MISSING}): "
                             "run playbooks/site.yml (role mailgov_package) first")
    params = module.params
    try:
        conn = Connection(params["server_uri"], params["bind_dn"], params["bind_pw"])
        operations, summary = compute(module, conn)
        if not module.check_mode:
            conn.apply(operations)
            forget_carried(params["carried_passwords"], used_logins(operations, read_carried(params["carried_passwords"])))
    except DirectoryError as err:
        module.fail_json(msg=f"mail_directory: {err}")
    changed = any(step["op"] != "barrier" for step in operations)
    if module._diff and changed:
        summary["diff"] = server_plan.diff(operations, params["base_dn"])
    module.exit_json(changed=changed, **summary)


if __name__ == "__main__":
    main()
