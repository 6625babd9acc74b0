"""Filters (Sieve, uploaded by ManageSieve), Vietnamese folder names, and the last login."""

import base64
import socket

from conftest import (
    HOSTNAME, OUTSIDER, deliver, fetch_by_subject, imap_login, testinfra_hosts, unique,
)

__all__ = ["testinfra_hosts"]

FOLDER = "Công văn đến"
SCRIPT = f"""require ["fileinto", "mailbox"];
if header :contains "subject" "Công văn" {{
  fileinto :create "{FOLDER}";
}}
"""


class ManageSieve:
    """Just enough of RFC 5804 for a mail client's filter settings."""

    def __init__(self, server, tls):
        sock = socket.create_connection((server, 4190), timeout=30)
        self.sock, self.file = sock, sock.makefile("rb")
        self.response()
        self.command(b"STARTTLS")
        self.sock = tls.wrap_socket(sock, server_hostname=HOSTNAME)
        self.file = self.sock.makefile("rb")
        self.response()  # the capabilities again, now over TLS

    def response(self):
        while True:
            line = self.file.readline()
            assert line, "connection closed"
            if line.startswith((b"OK", b"NO", b"BYE")):
                assert line.startswith(b"OK"), line
                return line

    def command(self, line, literal=None):
        data = line + (b" {%d+}\r\n" % len(literal) + literal if literal is not None else b"") + b"\r\n"
        self.sock.sendall(data)
        return self.response()

    def login(self, user, password):
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.command(f'AUTHENTICATE "PLAIN" "{token}"'.encode())


def test_a_filter_files_mail_into_a_vietnamese_folder(host, server, tls, accounts):
    tan = accounts["tan"]
    sieve = ManageSieve(server, tls)
    sieve.login(tan.address, tan.password)
    sieve.command(b'PUTSCRIPT "cong-van"', SCRIPT.encode())
    sieve.command(b'SETACTIVE "cong-van"')
    sieve.command(b"LOGOUT")

    subject = unique("Công văn số 7/UBND về việc họp")
    assert deliver(server, tls, OUTSIDER, [tan.address], f"Subject: {subject}\r\n\r\nXem.\r\n".encode("utf-8"),
                   mail_options=["SMTPUTF8"]) == {}
    assert len(fetch_by_subject(server, tls, tan.address, tan.password, subject, mailbox=FOLDER)) == 1
    assert fetch_by_subject(server, tls, tan.address, tan.password, subject, wait=0) == []

    # On disk the folder has its own name in UTF-8.
    local, domain = tan.address.split("@")
    listing = host.check_output("ls -a /var/vmail/%s/%s/Maildir", domain, local)
    assert f".{FOLDER}" in listing.splitlines()


def test_the_last_login_is_recorded(host, server, tls, accounts):
    tan = accounts["tan"]
    imap_login(server, tls, tan.address, tan.password).logout()
    now = int(host.check_output("date +%s"))
    lines = host.check_output("cat /var/lib/dovecot/last-login/last-login.dict").splitlines()
    recorded = dict(zip(lines[::2], lines[1::2]))
    assert now - 60 <= int(recorded[f"shared/last-login/{tan.address}"]) <= now
