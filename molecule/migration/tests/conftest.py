"""The migration scenario: the new server (the stack) and the old one it replaces, both reached
with real clients, and the import and copy run as an operator runs them."""

import hashlib
import imaplib
import json
import re
import ssl
import sys
from pathlib import Path

import pytest
import testinfra
import testinfra.utils.ansible_runner
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from mailclients import *  # noqa: E402,F403 (fixtures and helpers the tests import from conftest)
from mailclients import INVENTORY, mutf7  # noqa: E402

from mailgov.mail_copy import mutf7_decode  # noqa: E402

OLD = yaml.safe_load((Path(__file__).resolve().parents[1] / "vars/old-server.yml").read_text(encoding="utf-8"))
OLD_HOST = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("oldservers")[0]
SPECIAL = {"Drafts", "Junk", "Trash"}  # made on the new server for everyone
LIST = re.compile(rb'^\((?P<flags>[^)]*)\) "(?P<sep>.)" (?P<name>.+)$')


@pytest.fixture(scope="module")
def old():
    return testinfra.get_host(f"podman://{OLD_HOST}")


@pytest.fixture(scope="module")
def old_address(old):
    return old.interface("eth0").addresses[0]


def old_login(old_address, login):
    """The old server over IMAP as its master user, as the copy logs in."""
    client = imaplib.IMAP4(old_address, 143, timeout=60)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the old server's own certificate
    client.starttls(ssl_context=context)
    secret = b"\0".join([login.encode(), OLD["old_master_user"].encode(), OLD["old_master_password"].encode()])
    client.authenticate("PLAIN", lambda _: secret)
    return client


def new_login(server, tls, address, password):
    """The new server over IMAP with a password as people type it (AUTHENTICATE PLAIN carries UTF-8)."""
    client = imaplib.IMAP4_SSL(server, 993, ssl_context=tls, timeout=90)
    secret = b"\0".join([b"", address.encode(), password.encode()])
    client.authenticate("PLAIN", lambda _: secret)
    return client


def folders(client):
    names = []
    for line in client.list()[1]:
        name = LIST.match(line).group("name").decode()
        names.append(mutf7_decode(name.strip('"')))
    return sorted(set(names) - SPECIAL)


def messages(client, folder):
    """Every message of a folder: (SHA-256 of its bytes, flags without \\Recent, internal date), sorted."""
    status, _ = client.select(f'"{mutf7(folder)}"', readonly=True)
    assert status == "OK", folder
    _, data = client.search(None, "ALL")
    if not data[0]:
        return []
    _, fetched = client.fetch(b",".join(data[0].split()), "(FLAGS INTERNALDATE BODY.PEEK[])")
    found = []
    for part in fetched:
        if isinstance(part, tuple):
            head = part[0].decode()
            flags = sorted(set(re.search(r"FLAGS \(([^)]*)\)", head).group(1).split()) - {"\\Recent"})
            date = re.search(r'INTERNALDATE "([^"]+)"', head).group(1)
            found.append((hashlib.sha256(part[1]).hexdigest(), tuple(flags), date))
    return sorted(found)


def mailbox_on_both(old_address, server, tls, login, address, password):
    """{folder: messages} on the old server and on the new one (logged in with the old password)."""
    before, after = old_login(old_address, login), new_login(server, tls, address, password)
    try:
        return ({f: messages(before, f) for f in folders(before)}, {f: messages(after, f) for f in folders(after)})
    finally:
        before.logout()
        after.logout()


def last_report(host):
    """The newest verification report the copy left on the server, as JSON."""
    name = host.check_output("ls -1 /var/lib/mailgov/migrate/ | grep json$ | sort | tail -1")
    return json.loads(host.file(f"/var/lib/mailgov/migrate/{name}").content_string)
