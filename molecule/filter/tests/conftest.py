"""The content filter with real clients: the mail scenario's helpers, and what only these tests need.

The helpers and fixtures of molecule/shared/mailclients.py (connecting to the container,
the CA, test accounts with known passwords, SMTP and IMAP clients) are the mail scenario's.
"""

import re
import smtplib
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

# Fixtures (pytest finds them here) and helpers of the mail scenario.
from mailclients import (  # noqa: E402,F401
    DOMAIN, OUTSIDER, UNIT, Dialog, accounts, ca_file, deliver, fetch_by_subject, queue, server, set_password,
    submit, testinfra_hosts, tls, unique, wait_for,
)

# The EICAR test file, in two pieces so that this source file is not itself "infected".
EICAR = (r"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + r"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*" + "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def message(sender, to, subject, body="Kính gửi anh chị,\n\nTrân trọng.\n", attachment=None):
    """A message as mail clients write it (RFC 2047 headers, base64 UTF-8 body), with an id."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@test.{DOMAIN}>"
    msg["Date"] = time.strftime("%a, %d %b %Y %H:%M:%S +0700")
    msg.set_content(body, charset="utf-8", cte="base64")
    if attachment:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg


def refusal(send):
    """(code, text) of the answer that refused the message, or None if it was accepted."""
    try:
        refused = send()
    except smtplib.SMTPRecipientsRefused as error:
        (code, text), = error.recipients.values()
        return code, text.decode()
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPResponseException) as error:
        return error.smtp_code, error.smtp_error.decode()
    assert refused == {}, refused
    return None


def stored_anywhere(host, subject):
    """Mailboxes (of every account) that hold a message with this subject."""
    return host.run("doveadm -f flow search -A mailbox '*' subject %s", subject).stdout.split()


def no_bounce_since(host, since):
    log = host.check_output("journalctl --since %s -o cat -t postfix/bounce -t postfix/cleanup", since)
    return "sender non-delivery notification" not in log and "status=bounced" not in log


def rspamd_log(host, since):
    return host.check_output("journalctl --since %s -o cat -u rspamd", since)


def verdict(host, since, message_id):
    """rspamd's last log line about the message with this id (its verdict and symbols), or ''."""
    found = [line for line in rspamd_log(host, since).splitlines()
             if "rspamd_task_write_log" in line and f"id: {message_id}" in line]
    return found[-1] if found else ""


def task_lines(host, since, message_id):
    """Every log line of the rspamd task that checked the message with this id."""
    log = rspamd_log(host, since).splitlines()
    tags = {m.group(1) for line in log if f"id: {message_id}" in line
            for m in [re.search(r"<([0-9a-z]+)>;", line)] if m}
    return [line for line in log if any(f"<{tag}>;" in line for tag in tags)]


@pytest.fixture
def since(host):
    """The container's clock when the test starts, for journalctl --since."""
    stamp = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    time.sleep(1)
    return stamp
