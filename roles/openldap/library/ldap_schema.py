#!/usr/bin/python
"""Load a schema into slapd's cn=config, or bring a loaded one up to date with its file."""

DOCUMENTATION = r"""
module: ldap_schema
short_description: Load or update a schema in slapd's cn=config
description:
  - Takes LDIF that holds one C(cn=NAME,cn=schema,cn=config) entry, from a file on the target
    or given as text.
  - When slapd has no schema of that name, adds the entry.
  - When it has one whose object identifiers, attribute types or object classes differ from
    the file (ignoring slapd's C({N}) ordering prefixes and line folding), replaces those
    values with the file's, so a new release's schema reaches servers already installed.
    slapd refuses a change that would strand entries (for example removing an attribute that
    entries use); the module then fails with slapd's answer and changes nothing.
options:
  path:
    description: The LDIF file on the target. One of O(path) and O(content) is required.
    type: path
  content:
    description: The LDIF itself, for example read on the controller with C(lookup('file')),
      which also lets check mode see a schema file that is not yet installed.
    type: str
  server_uri:
    description: Where slapd listens; the module binds as root through SASL EXTERNAL
      (mailgov.ldap.Connection).
    type: str
    default: ldapi:///
requirements: [the mailgov package (role mailgov_package), python3-ldap]
notes:
  - Supports check mode and C(--diff).
"""

EXAMPLES = r"""
- name: Load or update the mailgov schema
  ldap_schema:
    path: /etc/ldap/schema/mailgov.ldif
"""

RETURN = r"""
dn:
  description: The schema entry, with slapd's ordering prefix once loaded.
  returned: always
  type: str
"""

import io  # noqa: E402
import re  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

# Both come with the mailgov_package role, which site.yml runs before this one: the package, and
# python3-ldap, whose ldif module reads the file.
try:
    from mailgov.errors import DirectoryError
    from mailgov.ldap import Connection
except ImportError:  # reported by main()
    Connection = None
try:
    from ldif import LDIFRecordList
except ImportError:  # reported by main()
    LDIFRecordList = None

SCHEMA_BASE = "cn=schema,cn=config"
# Attributes of a schema entry that describe the schema itself.
DEFINITIONS = ("olcObjectIdentifier", "olcAttributeTypes", "olcObjectClasses")
ORDER_PREFIX = re.compile(r"^\{\d+\}")


def normalize(value):
    """A definition as slapd and the file both mean it: no {N} prefix, single spaces."""
    return " ".join(ORDER_PREFIX.sub("", value).split())


def read_ldif(module, path, content):
    if content is None:
        with open(path, "rb") as handle:
            content = handle.read().decode()
    else:
        path = "the given LDIF"
    parser = LDIFRecordList(io.StringIO(content))
    parser.parse()
    records = parser.all_records
    if len(records) != 1:
        module.fail_json(msg=f"ldap_schema: {path} must hold exactly one schema entry; it holds {len(records)}.")
    dn, entry = records[0]
    match = re.fullmatch(r"cn=([^,]+)," + re.escape(SCHEMA_BASE), dn, flags=re.IGNORECASE)
    if not match:
        module.fail_json(msg=f"ldap_schema: the entry in {path} is '{dn}'; it must be cn=NAME,{SCHEMA_BASE}.")
    return match.group(1), dn, {attr: [v.decode("utf-8") for v in values] for attr, values in entry.items()}


def find_loaded(conn, name):
    found = conn.search(SCHEMA_BASE, "one", "(objectClass=olcSchemaConfig)", ["cn", *DEFINITIONS])
    for dn, entry in found.items():
        if any(ORDER_PREFIX.sub("", cn) == name for cn in entry.get("cn", [])):
            return dn, entry
    return None, None


def differences(loaded, wanted):
    """(modifications, before, after): the definitions whose values differ, replaced by the file's."""
    changes, before, after = [], {}, {}
    for attr in DEFINITIONS:
        want = wanted.get(attr, [])
        have = [normalize(v) for v in loaded.get(attr, [])]
        if have != [normalize(v) for v in want]:
            changes.append(("replace", attr, want or None))
            before[attr] = have
            after[attr] = [normalize(v) for v in want]
    return changes, before, after


def load(module, conn, name, file_dn, wanted):
    dn = file_dn
    if not module.check_mode:
        try:
            conn.add(file_dn, wanted)
            conn.flush()
        except DirectoryError as err:
            module.fail_json(msg=f"ldap_schema: slapd refused to load the schema {name}: {err}")
        dn = find_loaded(conn, name)[0] or file_dn
    result = {"changed": True, "dn": dn}
    if module._diff:
        result["diff"] = {"before": "", "after": f"{file_dn}\n"}
    module.exit_json(**result)


def update(module, conn, name, loaded_dn, loaded, wanted):
    changes, before, after = differences(loaded, wanted)
    if changes and not module.check_mode:
        try:
            conn.modify(loaded_dn, changes)
            conn.flush()
        except DirectoryError as err:
            module.fail_json(
                msg=f"ldap_schema: slapd refused to update the schema {name} ({', '.join(before)}): {err}. "
                "Nothing was changed; a definition that entries still use cannot be removed or narrowed."
            )
    result = {"changed": bool(changes), "dn": loaded_dn}
    if module._diff and changes:
        result["diff"] = {
            "before": "".join(f"{a}: {v}\n" for a in before for v in before[a]),
            "after": "".join(f"{a}: {v}\n" for a in after for v in after[a]),
        }
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path"},
            "content": {"type": "str"},
            "server_uri": {"type": "str", "default": "ldapi:///"},
        },
        required_one_of=[("path", "content")],
        mutually_exclusive=[("path", "content")],
        supports_check_mode=True,
    )
    if Connection is None:
        module.fail_json(msg="ldap_schema needs the mailgov package on the target, and it is not installed: "
                         "run playbooks/site.yml, whose role mailgov_package installs it before the openldap role.")
    if LDIFRecordList is None:
        module.fail_json(msg="ldap_schema needs python3-ldap on the target: run playbooks/site.yml, whose role "
                         "mailgov_package installs it before the openldap role.")

    name, file_dn, wanted = read_ldif(module, module.params["path"], module.params["content"])
    try:
        conn = Connection(module.params["server_uri"])
        loaded_dn, loaded = find_loaded(conn, name)
        if loaded_dn is None:
            load(module, conn, name, file_dn, wanted)
        update(module, conn, name, loaded_dn, loaded, wanted)
    except DirectoryError as err:
        module.fail_json(msg=f"ldap_schema: {err}")


if __name__ == "__main__":
    main()
