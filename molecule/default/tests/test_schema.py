"""The mailgov schema in slapd follows roles/openldap/files/mailgov.ldif, also on a server
whose schema an earlier release loaded (the role's ldap_schema module)."""

import json
import os
import re
import subprocess

import pytest
import testinfra.utils.ansible_runner

from conftest import PROJECT

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = [f"podman://{name}" for name in
                   testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("mailservers")]

SCHEMA_FILE = PROJECT / "roles/openldap/files/mailgov.ldif"
DEFINITION = re.compile(r"^(olcObjectIdentifier|olcAttributeTypes|olcObjectClasses): ")
# A definition a later release might add; nothing uses it, so slapd lets it go again.
EXTRA = ("olcAttributeTypes: ( mailgovAttr:99 NAME 'mailTestOnly' DESC 'added by test_schema' "
         "EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{16} SINGLE-VALUE )")


def definitions(ldif):
    """The schema's definitions, unfolded, without slapd's {N} prefixes, spaces collapsed.

    Grouped by attribute (slapd may list the attributes in another order after a change),
    each attribute's values in their order.
    """
    unfolded = re.sub(r"\n ", "", "\n".join(line for line in ldif.splitlines() if not line.startswith("#")))
    lines = [" ".join(re.sub(r": \{\d+\}", ": ", line, count=1).split())
             for line in unfolded.splitlines() if DEFINITION.match(line)]
    return sorted(lines, key=lambda line: line.split(":", 1)[0])


def loaded(host):
    dn = schema_dn(host)
    return definitions(host.check_output(
        "ldapsearch -Q -LLL -Y EXTERNAL -H ldapi:/// -b '%s' -s base olcObjectIdentifier olcAttributeTypes olcObjectClasses",
        dn))


def schema_dn(host):
    out = host.check_output("ldapsearch -Q -LLL -Y EXTERNAL -H ldapi:/// -b cn=schema,cn=config -s one '(cn=*mailgov)' dn")
    return out.split("dn: ", 1)[1].strip()


def run_module(host, *flags):
    """The role's ldap_schema module against the installed schema file, as the role runs it."""
    env = dict(os.environ, ANSIBLE_LIBRARY=str(PROJECT / "roles/openldap/library"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    result = subprocess.run(
        ["ansible", host.backend.name, "-i", INVENTORY, "-m", "ldap_schema",
         "-a", json.dumps({"path": "/etc/ldap/schema/mailgov.ldif"}), *flags],
        env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"][host.backend.name]


@pytest.fixture
def schema_with_extra(host):
    """The loaded schema plus one definition the file does not have, as after a downgrade."""
    lines = [f"dn: {schema_dn(host)}", "changetype: modify", "add: olcAttributeTypes", EXTRA]
    host.check_output("printf '%%s\\n' %s %s %s %s | ldapmodify -Q -Y EXTERNAL -H ldapi:///", *lines)
    yield
    # Whatever the test did, the schema ends as the file says.
    run_module(host)


def test_the_loaded_schema_is_the_file(host):
    assert loaded(host) == definitions(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_a_schema_that_differs_from_the_file_is_brought_to_it(host, schema_with_extra):
    assert " ".join(EXTRA.split()) in loaded(host)

    checked = run_module(host, "--check", "--diff")
    assert checked["changed"]
    assert "mailTestOnly" in checked["diff"]["before"] and "mailTestOnly" not in checked["diff"]["after"]
    assert " ".join(EXTRA.split()) in loaded(host), "check mode wrote to the schema"

    assert run_module(host)["changed"]
    assert loaded(host) == definitions(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert not run_module(host)["changed"]
