#!/usr/bin/python
"""Read the accounts of an old mail server and make the roster that holds them, for review."""

DOCUMENTATION = r"""
module: mail_import
short_description: Make a roster from the accounts of an old mail server, for review
description:
  - Runs on the new mail server. Reads the accounts of the old one from its directory (Zimbra,
    iRedMail or any C(inetOrgPerson) directory, as C(mailgov/import_sources.yml) and O(sources) say)
    or from a spreadsheet (C(.xlsx), or CSV in UTF-8, UTF-16 or Windows-1258) on this host.
  - Returns the whole roster of O(domain), as it is with the imported people and their units added,
    as YAML text to write where the operator reviews it; nothing is written to the directory.
    Existing addresses are pinned, aliases, quotas and locks kept, units matched by name or made,
    and names typed in TCVN3 or VNI converted to Unicode; every guess and conversion is listed in
    C(review).
  - Any problem (a row without a name or unit, one person twice, an address outside the server's
    domains, a name that cannot be read) fails the task with every problem, and nothing is written.
  - The password hashes slapd can verify (C(mailgov.hashes)) are written to C(passwords.json) in
    O(state_dir) (mode 0600), never returned; C(playbooks/accounts.yml) gives them to the accounts it
    creates, so their owners keep their passwords. Who was who (the old login of each new account) is
    written to C(accounts.json) there (old address to id), for C(playbooks/migrate-mail.yml).
options:
  source:
    description: The old directory (C(ldap://), C(ldaps://)) or the path of a spreadsheet on this host.
    type: str
    required: true
  shown_as:
    description: What the messages call O(source), such as the spreadsheet's path on the controller.
    type: str
  kind:
    description: For a directory, which kind of server it is (a key of C(ldap) in the sources).
    type: str
    default: zimbra
  sources:
    description: The site's own mapping, merged over C(mailgov/import_sources.yml) kind by kind.
    type: dict
    default: {}
  base_dn:
    description: Where the accounts are in the old directory.
    type: str
  bind_dn:
    description: Who reads the old directory; it must be allowed to read C(userPassword).
    type: str
  bind_pw:
    description: The password of O(bind_dn).
    type: str
  starttls:
    description: Use StartTLS on an C(ldap://) URI.
    type: bool
    default: false
  ca_file:
    description: The CA certificate that signed the old directory's, on this host, for StartTLS or C(ldaps://).
    type: path
  sheet:
    description: The worksheet of a workbook (the first if not given).
    type: str
  encoding:
    description: The encoding of a CSV file, when it cannot be told from the file.
    type: str
  roster:
    description: The inventory's C(mail_roster), as a mapping or JSON text.
    type: dict
    required: true
  hosted_files:
    description: The inventory's C(mail_roster_<name>) variables, by name.
    type: dict
    default: {}
  domain:
    description: The mail domain the accounts go into.
    type: str
    required: true
  policy:
    description: The policy of O(domain) when the server does not have it yet.
    type: raw
  id_prefix:
    description: How the new ids begin (the roster's most common prefix if not given).
    type: str
  default_unit:
    description: The unit of the accounts the source gives none.
    type: str
  state_dir:
    description: Where the hashes and the old logins are kept on this host.
    type: path
    default: /var/lib/mailgov/import
author: mailgov
"""

EXAMPLES = r"""
- name: Make a roster from the old Zimbra's accounts
  mail_import:
    source: ldap://old-mail.stp.gialai.gov.vn
    kind: zimbra
    base_dn: dc=stp,dc=gialai,dc=gov,dc=vn
    bind_dn: uid=zimbra,cn=admins,cn=zimbra
    bind_pw: "{{ vault_import_bind_password }}"
    roster: "{{ mail_roster | to_json }}"
    domain: stp.gialai.gov.vn
  register: imported
"""

RETURN = r"""
roster_yaml:
  description: The roster file to review, whole.
  type: str
  returned: success
review:
  description: Every guess, conversion and kept address to check, one line each.
  type: list
  returned: success
accounts:
  description: The imported accounts, each with C(id), C(login) (the old address) and C(address).
  type: list
  returned: success
uncarried:
  description: The accounts whose password cannot be kept, each with C(id), C(login) and C(reason).
  type: list
  returned: success
carried:
  description: How many passwords are kept.
  type: int
  returned: success
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

try:
    from mailgov import import_plan, import_records, import_target, private_json, sheets
    from mailgov.errors import DirectoryError, RosterError
    from mailgov.ldap import Connection

    MISSING = None
except ImportError as err:  # reported by main()
    MISSING = str(err)


def read_records(params, mapping):
    source = params["source"]
    if source.startswith(("ldap://", "ldaps://")):
        kinds = mapping["ldap"]
        if params["kind"] not in kinds:
            raise RosterError([f"kind: {params['kind']!r} is not one of {', '.join(sorted(kinds))}"])
        kind = kinds[params["kind"]]
        if not params["base_dn"]:
            raise RosterError([f"base_dn: say where the accounts are in {source} (import_base_dn)"])
        fields = {a.lower() for f in import_records.FIELDS for a in kind.get(f) or [] if a != "dn:ou"}
        fields |= {a.lower() for a in (kind.get("status") or {}).get("attributes") or []}
        fields |= {kind["status"]["locked_if"].lower()} if (kind.get("status") or {}).get("locked_if") else set()
        conn = Connection(source, params["bind_dn"], params["bind_pw"], starttls=params["starttls"],
                          ca_file=params["ca_file"])
        entries = conn.search(params["base_dn"], "sub", kind["filter"], sorted(fields))
        if not entries:
            raise RosterError([f"{source}: no account under {params['base_dn']} matches {kind['filter']}"])
        return [import_records.from_entry(dn, entries[dn], kind) for dn in sorted(entries)]
    records, problems = import_records.from_sheet(sheets.read(source, params["sheet"], params["encoding"]),
                                                  mapping["sheet"])
    if problems:
        raise RosterError(problems)
    return records


def main():
    module = AnsibleModule(
        argument_spec={
            "source": {"type": "str", "required": True},
            "shown_as": {"type": "str"},
            "kind": {"type": "str", "default": "zimbra"},
            "sources": {"type": "dict", "default": {}},
            "base_dn": {"type": "str"},
            "bind_dn": {"type": "str"},
            "bind_pw": {"type": "str", "no_log": True},
            "starttls": {"type": "bool", "default": False},
            "ca_file": {"type": "path"},
            "sheet": {"type": "str"},
            "encoding": {"type": "str"},
            "roster": {"type": "dict", "required": True},
            "hosted_files": {"type": "dict", "default": {}},
            "domain": {"type": "str", "required": True},
            "policy": {"type": "raw"},
            "id_prefix": {"type": "str"},
            "default_unit": {"type": "str"},
            "state_dir": {"type": "path", "default": "/var/lib/mailgov/import"},
        },
        supports_check_mode=True,
    )
    if MISSING:
        module.fail_json(msg=f"mail_import: the mailgov package is missing on this host ({MISSING}): "
                             "run playbooks/site.yml (role mailgov_package) first")
    params = module.params
    domain = params["domain"].strip().lower()
    try:
        goal = import_target.target(params["roster"], params["hosted_files"], domain, params["policy"])
        records = read_records(params, import_records.sources(params["sources"]))
        result = import_plan.plan(records, goal.roster, domain, goal.server_domains, goal.policy,
                                  params["id_prefix"], params["default_unit"], goal.taken_ids)
    except RosterError as err:
        shown = params["shown_as"] or params["source"]
        problems = [p.replace(params["source"], shown) for p in err.problems]
        module.fail_json(msg=f"mail_import: the import has {RosterError(problems)}; no roster was written",
                         problems=problems)
    except (DirectoryError, ValueError) as err:
        module.fail_json(msg=f"mail_import: {err}; no roster was written")
    changed = False
    if not module.check_mode:
        os.makedirs(params["state_dir"], mode=0o700, exist_ok=True)
        os.chmod(params["state_dir"], 0o700)
        changed |= private_json.merge(os.path.join(params["state_dir"], "passwords.json"), result.passwords)
        logins = {a["login"]: a["id"] for a in result.accounts}
        changed |= private_json.merge(os.path.join(params["state_dir"], "accounts.json"), logins)
    source = params["shown_as"] or params["source"]
    module.exit_json(changed=changed, roster_yaml=import_target.to_yaml(goal, result.roster, result.review, source),
                     review=result.review, accounts=result.accounts, uncarried=result.uncarried,
                     carried=len(result.passwords))


if __name__ == "__main__":
    main()
