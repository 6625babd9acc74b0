"""A directory made for one domain (ou=people, ou=mailboxes and ou=units right below the suffix,
as before several domains) is moved under its domain's branch in place by playbooks/accounts.yml:
previewed with --check, applied in one run; every entry keeps its password, the delegates' DNs
follow, mail and logins go on, and a second run changes nothing."""

import re

import pytest
from conftest import (
    BASE, OUTSIDER, SUFFIX, UNIT, deliver, directory_entry, fetch_by_subject, playbook, set_password, testinfra_hosts,
    unique,
)

__all__ = ["testinfra_hosts"]

BRANCHES = ("people", "mailboxes", "units")
# Puts the delegates' DNs back where a single-domain directory has them.
OLD_DELEGATES = r"""
import ldap, ldap.sasl, sys
base, suffix = sys.argv[1:3]
conn = ldap.initialize("ldapi:///")
conn.sasl_interactive_bind_s("", ldap.sasl.external())
for dn, entry in conn.search_s(suffix, ldap.SCOPE_SUBTREE, "(mailDelegate=*)", ["mailDelegate"]):
    old = [v.decode().replace("," + base, "," + suffix).encode() for v in entry["mailDelegate"]]
    conn.modify_s(dn, [(ldap.MOD_REPLACE, "mailDelegate", old)])
"""


def ldap_run(host, command, *args):
    return host.check_output(f"{command} -Q -Y EXTERNAL -H ldapi:/// " + " ".join(["%s"] * len(args)), *args)


@pytest.fixture
def single_domain(host):
    """The directory as a release serving one domain left it: the three branches right below the
    suffix, the delegates naming people there, no branch of the domain's own."""
    for branch in BRANCHES:
        ldap_run(host, "ldapmodrdn", "-s", SUFFIX, f"ou={branch},{BASE}", f"ou={branch}")
    host.check_output("python3 -c %s %s %s", OLD_DELEGATES, BASE, SUFFIX)
    ldap_run(host, "ldapdelete", BASE)
    yield
    # Whatever happened, the directory ends in the layout of today for the tests that follow.
    playbook("accounts.yml", check=False)


def accounts(*args):
    """accounts.yml's output as one line: Molecule's run is in colour, and long messages wrap."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", playbook("accounts.yml", *args).stdout).split())


def changed(output):
    return int(re.search(r"changed=(\d+)", output.split("PLAY RECAP")[1]).group(1))


def test_a_single_domain_directory_moves_under_its_branch_in_place(host, server, tls, single_domain):
    quynh = set_password(host, "GL-0001")  # a delegate of the unit mailbox stttt
    before = unique("Thư trước khi chuyển nhánh")
    letter = f"From: {OUTSIDER}\r\nTo: {quynh.address}\r\nSubject: {before}\r\n\r\nXin chào.\r\n".encode()
    assert deliver(server, tls, OUTSIDER, [quynh.address], letter) == {}
    old_dn = f"uid=GL-0001,ou=people,{SUFFIX}"
    assert directory_entry(host, "GL-0001")["dn"] == [old_dn]

    moved = ", ".join(f"ou={b},{SUFFIX}" for b in BRANCHES)
    assert f"Would move {moved} under {BASE}, in place" in accounts("--check", "--diff")
    assert directory_entry(host, "GL-0001")["dn"] == [old_dn]  # nothing written

    assert f"Moved {moved} under {BASE}, in place" in accounts()
    entry = directory_entry(host, "GL-0001")
    assert entry["dn"] == [f"uid=GL-0001,ou=people,{BASE}"] and "pwdReset" not in entry
    assert directory_entry(host, "stttt")["mailDelegate"] == [f"uid=GL-0001,ou=people,{BASE}"]
    assert "ou=chupah-hoaphu,ou=chupah,ou=units," + BASE in ldap_run(
        host, "ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", BASE, "(mailUnit=chupah-hoaphu)", "dn")
    for branch in BRANCHES:
        assert host.run(f"ldapsearch -Q -Y EXTERNAL -H ldapi:/// -s base -b ou={branch},{SUFFIX}").rc == 32

    # The same password, the mail from before, the unit mailbox through the delegate's login.
    assert fetch_by_subject(server, tls, quynh.address, quynh.password, before)
    after = unique("Công văn sau khi chuyển nhánh")
    letter = f"From: {OUTSIDER}\r\nTo: {UNIT}\r\nSubject: {after}\r\n\r\nVăn bản đến.\r\n".encode()
    assert deliver(server, tls, OUTSIDER, [UNIT], letter) == {}
    assert fetch_by_subject(server, tls, f"{UNIT}*{quynh.address}", quynh.password, after)
    assert changed(accounts()) == 0
