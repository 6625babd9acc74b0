"""Real clients against the instance's Postfix and Dovecot: smtplib, imaplib, poplib, raw sockets.

Shared by the scenarios that test mail (their conftest.py imports it). The tests connect from
this machine to the container's address, as any outside client would: the server trusts
nothing about them. Test users get a known password in `accounts` (see there).
"""

import base64
import imaplib
import json
import os
import poplib
import re
import secrets
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner

_runner = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
testinfra_hosts = [f"podman://{name}" for name in _runner.get_hosts("mailservers")]

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
SUFFIX = "dc=gialai,dc=gov,dc=vn"
DOMAIN = "gialai.gov.vn"
BASE = f"ou={DOMAIN},{SUFFIX}"  # the domain's branch: its people, mailboxes and units
HOSTNAME = "mail.gialai.gov.vn"
OUTSIDER = "ban.be@example.org"  # a sender on another server, arriving on port 25

# Roster ids of the accounts the tests use, and what the demo roster makes of them.
USERS = {
    "quynh": "GL-0001",  # delegate of the unit mailbox stttt
    "truong": "GL-0027",  # has the alias truong.mx
    "tien": "GL-0003",  # gets a small quota in test_quota
    "tan": "GL-0004",
    "lam": "GL-0013",  # locked
    "tam": "GL-0021",  # recalled
}
UNIT = "stttt@gialai.gov.vn"  # unit mailbox; its delegate is GL-0001
ALIAS = "truong.mx@gialai.gov.vn"

# Sets the password as root (SASL EXTERNAL over ldapi), then clears pwdReset, which the
# password policy sets on any password not chosen by the user: the account is then as if
# its owner had changed the initial password.
SET_PASSWORD = r"""
import ldap, ldap.sasl, sys
conn = ldap.initialize("ldapi:///")
conn.sasl_interactive_bind_s("", ldap.sasl.external())
dn, password = sys.argv[1], sys.argv[2]
conn.passwd_s(dn, None, password)
entry = conn.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", ["pwdReset"])[0][1]
if "pwdReset" in entry:
    conn.modify_s(dn, [(ldap.MOD_DELETE, "pwdReset", None)])
"""


@dataclass
class Account:
    uid: str
    address: str
    password: str


@pytest.fixture(scope="module")
def server(host):
    """The container's address, where the tests connect."""
    return host.interface("eth0").addresses[0]


@pytest.fixture(scope="module")
def ca_file(host, tmp_path_factory):
    path = tmp_path_factory.mktemp("pki") / "ca.crt"
    path.write_text(host.file("/etc/mailgov/pki/ca.crt").content_string)
    return str(path)


@pytest.fixture(scope="module")
def tls(ca_file):
    """A client context that checks the chain to the private CA (the name: see test_tls)."""
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = False
    return context


def account_dn(host, uid):
    """(DN, address) of an account, in whichever domain's branch it is."""
    out = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -o ldif-wrap=no -b %s "
                            "'(&(objectClass=mailAccount)(uid=%s))' mail", SUFFIX, uid)
    return re.search(r"^dn: (\S+)$", out, re.M).group(1), re.search(r"^mail: (\S+)$", out, re.M).group(1)


def set_password(host, uid):
    """A fresh password that passes every domain's policy (a new one each time: the policy keeps
    a history), set as the owner would have chosen it; the account with it, in any domain."""
    dn, address = account_dn(host, uid)
    password = f"Tt@{secrets.token_hex(6)}9"
    host.check_output("python3 -c %s %s %s", SET_PASSWORD, dn, password)
    return Account(uid, address, password)


@pytest.fixture(scope="module")
def accounts(host):
    """Every test account of USERS, each with a fresh password."""
    return {name: set_password(host, uid) for name, uid in USERS.items()}


def unique(label):
    """A subject nobody else uses, so that a test finds its own messages."""
    return f"{label} {uuid.uuid4().hex[:10]}"


def submit(server, tls, account, recipients, message, port=587, sender=None, **kwargs):
    """Send as an authenticated user on 587 (STARTTLS) or 465 (TLS); return the refused recipients."""
    if port == 465:
        client = smtplib.SMTP_SSL(server, port, context=tls, timeout=30)
    else:
        client = smtplib.SMTP(server, port, timeout=30)
        client.starttls(context=tls)
    with client:
        client.login(account.address, account.password)
        return client.sendmail(sender or account.address, recipients, message, **kwargs)


def deliver(server, tls, sender, recipients, message, **kwargs):
    """Send as another mail server would, on 25 without authentication; return the refused."""
    with smtplib.SMTP(server, 25, local_hostname="mx.example.org", timeout=30) as client:
        client.starttls(context=tls)
        return client.sendmail(sender, recipients, message, **kwargs)


def imap_login(server, tls, login, password):
    # Long timeout: after failed logins Dovecot answers this address slowly on purpose.
    client = imaplib.IMAP4_SSL(server, 993, ssl_context=tls, timeout=90)
    client.login(login, password)
    return client


def quota_limit(server, tls, login, password):
    """The storage limit of a mailbox's quota, in bytes, as IMAP's GETQUOTAROOT tells it."""
    client = imap_login(server, tls, login, password)
    try:
        status, data = client.getquotaroot("INBOX")
    finally:
        client.logout()
    assert status == "OK", data
    return int(re.search(rb"STORAGE \d+ (\d+)", b" ".join(d for d in data[1] if isinstance(d, bytes))).group(1)) * 1024


def mutf7(name):
    """A mailbox name as IMAP clients send it (RFC 3501 modified UTF-7). Dovecot 2.4.1 still
    expects that form even after ENABLE UTF8=ACCEPT; on disk the names are UTF-8."""
    out, pending = [], []

    def flush():
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def fetch_by_subject(server, tls, login, password, subject, mailbox="INBOX", wait=15.0):
    """The raw messages whose subject contains `subject` (UTF-8 allowed), waiting for delivery."""
    deadline = time.monotonic() + wait
    while True:
        client = imap_login(server, tls, login, password)
        try:
            client.enable("UTF8=ACCEPT")  # UTF-8 in SEARCH
            status, _ = client.select(f'"{mutf7(mailbox)}"', readonly=True)
            assert status == "OK", mailbox
            _, data = client.search(None, "SUBJECT", f'"{subject}"')
            found = [client.fetch(n, "(BODY.PEEK[])")[1][0][1] for n in data[0].split()]
        finally:
            client.logout()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def pop3_messages(server, tls, account):
    """Every message of the INBOX by POP3 over TLS (995), as bytes with CRLF line ends."""
    client = poplib.POP3_SSL(server, 995, context=tls, timeout=30)
    try:
        client.user(account.address)
        client.pass_(account.password)
        count, _ = client.stat()
        return [b"\r\n".join(client.retr(n)[1]) + b"\r\n" for n in range(1, count + 1)]
    finally:
        client.quit()


class Dialog:
    """A raw SMTP session, for what smtplib would not send (bare LF, address tricks)."""

    def __init__(self, server, port=25, starttls_with=None):
        self.sock = socket.create_connection((server, port), timeout=30)
        self.file = self.sock.makefile("rb")
        self.read()
        self.command("EHLO mx.example.org")
        if starttls_with is not None:
            assert self.command("STARTTLS")[0] == 220
            self.sock = starttls_with.wrap_socket(self.sock, server_hostname=HOSTNAME)
            self.file = self.sock.makefile("rb")
            self.command("EHLO mx.example.org")

    def read(self):
        lines = []
        while True:
            line = self.file.readline().decode("utf-8", "replace")
            assert line, "the server closed the connection"
            lines.append(line.rstrip("\r\n"))
            if line[3:4] != "-":
                return int(line[:3]), "\n".join(lines)

    def command(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.read()

    def send_raw(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.command("QUIT")
        finally:
            self.sock.close()


def queue(host):
    """Postfix's queue: one entry per message (postqueue -j)."""
    return [json.loads(line) for line in host.check_output("postqueue -j").splitlines()]


def queue_ids(host):
    return [entry["queue_id"] for entry in queue(host)]


def wait_for(check, timeout=15.0):
    """The first true result of check(), polled until the timeout; the last result otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def directory_entry(host, uid):
    """One account as ldapsearch shows it (values decoded, operational attributes included);
    None when absent."""
    out = host.check_output(
        "ldapsearch -Q -Y EXTERNAL -H ldapi:/// -o ldif-wrap=no -LLL -b %s '(&(objectClass=mailAccount)(uid=%s))' '*' "
        "pwdAccountLockedTime pwdReset pwdChangedTime pwdPolicySubentry", SUFFIX, uid)
    if not out.strip():
        return None
    found = {}
    for line in out.splitlines():
        match = re.match(r"^([\w;-]+)(::?) ?(.*)$", line)
        if match:
            name, sep, value = match.groups()
            if sep == "::":
                value = base64.b64decode(value).decode("utf-8", "replace")
            found.setdefault(name, []).append(value)
    return found


def playbook(name, *args, check=True, **extra):
    """Run playbooks/<name> against the instance, as an operator would; the completed process.

    args go to ansible-playbook as they are; each extra becomes -e with its value as JSON."""
    for key, value in extra.items():
        args += ("-e", json.dumps({key: value}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, f"playbooks/{name}", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result
