"""The restore drill's clients: SMTP and IMAP from this machine, playbooks run as an operator would.

Test users get a known password in `accounts`, through the mail scenario's clients
(molecule/shared/mailclients.py). The backup host is the
second instance, `mailgov-backup-store`.
"""

import hashlib
import imaplib
import json
import os
import sys
from pathlib import Path

import pytest
import testinfra
import testinfra.utils.ansible_runner

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

import mailclients  # noqa: E402

# The mail scenario's clients: the instance's address, its CA, accounts with known passwords.
BASE, DOMAIN, set_password = mailclients.BASE, mailclients.DOMAIN, mailclients.set_password
server, ca_file, tls = mailclients.server, mailclients.ca_file, mailclients.tls
wait_for = mailclients.wait_for

_runner = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
testinfra_hosts = [f"podman://{name}" for name in _runner.get_hosts("mailservers")]
STORE = _runner.get_hosts("backuphosts")[0]

REPOSITORY_ON_STORE = "/srv/mailgov-backup/repos/mailgov-backup"

USERS = {"quynh": "GL-0001", "truong": "GL-0027", "tan": "GL-0004"}

# The postmaster's mail goes to root's local mailbox (the postfix role's postfix_role_recipient).
# This prints the subjects found there, decoded.
SUBJECTS = r"""
import json, mailbox, email.policy, email.header
box = mailbox.mbox("/var/mail/root", factory=None, create=False)
print(json.dumps([str(email.header.make_header(email.header.decode_header(m["Subject"] or ""))) for m in box]))
"""


@pytest.fixture(scope="module")
def store():
    return testinfra.get_host(f"podman://{STORE}")


@pytest.fixture(scope="module")
def accounts(host):
    """The test accounts of USERS, each with a fresh password."""
    return {name: set_password(host, uid) for name, uid in USERS.items()}


def imap_login(server, tls, account):
    client = imaplib.IMAP4_SSL(server, 993, ssl_context=tls, timeout=90)
    client.login(account.address, account.password)
    return client


def checksums(server, tls, account):
    """The SHA-256 of every message of the INBOX, as IMAP gives it, sorted."""
    client = imap_login(server, tls, account)
    try:
        client.select("INBOX", readonly=True)
        _, data = client.search(None, "ALL")
        numbers = data[0].split()
        if not numbers:
            return []
        _, fetched = client.fetch(b",".join(numbers), "(BODY.PEEK[])")
        bodies = [part[1] for part in fetched if isinstance(part, tuple)]
        return sorted(hashlib.sha256(body).hexdigest() for body in bodies)
    finally:
        client.logout()


def expunge_all(server, tls, account):
    client = imap_login(server, tls, account)
    try:
        client.select("INBOX")
        client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
        client.expunge()
    finally:
        client.logout()


def directory_entries(host):
    """Every entry of the mail database with its user attributes, as sorted LDIF records."""
    out = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -o ldif-wrap=no -b %s '*'", BASE)
    return sorted(record.strip() for record in out.strip().split("\n\n"))


def playbook(name, **extra):
    """ansible-playbook playbooks/NAME with the scenario's inventory; the tests judge its outcome."""
    return mailclients.playbook(name, check=False, **extra)


def postmaster_subjects(host):
    if not host.file("/var/mail/root").exists:
        return []
    return json.loads(host.check_output("python3 -c %s", SUBJECTS))
