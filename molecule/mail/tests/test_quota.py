"""Quotas from the directory (mailQuota): warnings in Vietnamese, and the chosen answer when full.

One account gets a quota of 200 kB for this module, and its old mail is removed.
"""

import email
import email.policy
import re

import pytest
from conftest import (
    BASE, OUTSIDER, deliver, fetch_by_subject, queue_ids, submit, testinfra_hosts, unique, wait_for,
)

__all__ = ["testinfra_hosts"]

QUOTA = 200_000


def set_quota(host, uid, value):
    change = f"dn: uid={uid},ou=people,{BASE}\nchangetype: modify\nreplace: mailQuota\nmailQuota: {value}\n"
    host.check_output("echo %s | ldapmodify -Q -Y EXTERNAL -H ldapi:///", change)


def storage(host, address):
    """(used kB, limit kB, percent) of the mailbox, as Dovecot counts them."""
    out = host.check_output("doveadm -f flow quota get -u %s", address)
    used, limit, percent = re.search(r"Type=STORAGE Value=(\d+) Limit=(\d+) %=(\d+)", out).groups()
    return int(used), int(limit), int(percent)


def filler(to, subject, size, sender=OUTSIDER):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n".encode()
            + (b"0123456789" * 7 + b"\r\n") * (size // 72))


@pytest.fixture(scope="module")
def tien(host, accounts):
    tien = accounts["tien"]
    out = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -b %s '(uid=%s)' mailQuota", BASE, tien.uid)
    original = re.search(r"^mailQuota: (\d+)$", out, re.M).group(1)
    host.check_output("doveadm expunge -u %s mailbox '*' all", tien.address)
    set_quota(host, tien.uid, QUOTA)
    yield tien
    set_quota(host, tien.uid, original)


@pytest.fixture(scope="module")
def over_answer(host):
    """The answer the server is configured to give for a full mailbox (dovecot_quota_over_answer)."""
    code = int(host.check_output("doveconf -h quota_status_overquota").strip('"').split()[0])
    assert code in (452, 552)
    return code


def warnings(server, tls, account, percent):
    found = fetch_by_subject(server, tls, account.address, account.password, f"đã dùng {percent}%")
    return [email.message_from_bytes(raw, policy=email.policy.default) for raw in found]


def test_the_owner_is_warned_in_vietnamese_at_80_and_95_percent(host, server, tls, tien):
    assert deliver(server, tls, OUTSIDER, [tien.address], filler(tien.address, unique("Báo cáo"), 170_000)) == {}
    (warning,) = warnings(server, tls, tien, 80)
    assert str(warning["Subject"]) == "Cảnh báo: hộp thư của bạn đã dùng 80% dung lượng"
    assert warning["From"].addresses[0].addr_spec == "postmaster@gialai.gov.vn"
    assert str(warning["From"].addresses[0].display_name) == "Quản trị hệ thống thư điện tử"
    assert f"Hộp thư {tien.address} đã dùng 80% dung lượng" in warning.get_content()

    assert deliver(server, tls, OUTSIDER, [tien.address], filler(tien.address, unique("Phụ lục"), 20_000)) == {}
    (warning,) = warnings(server, tls, tien, 95)
    assert str(warning["Subject"]) == "Cảnh báo: hộp thư của bạn đã dùng 95% dung lượng"


def test_a_full_mailbox_refuses_at_rcpt_and_the_other_recipients_get_the_message(
        host, server, tls, accounts, tien, over_answer):
    truong = accounts["truong"]
    # The last message that fits may go past the limit (Dovecot's grace); then it is full.
    deliver(server, tls, OUTSIDER, [tien.address], filler(tien.address, unique("Tràn"), 30_000))
    assert storage(host, tien.address)[2] >= 100

    subject = unique("Thông báo chung")
    refused = deliver(server, tls, OUTSIDER, [tien.address, truong.address], filler(truong.address, subject, 1_000))
    assert list(refused) == [tien.address]
    code, text = refused[tien.address]
    assert code == over_answer, text
    assert len(fetch_by_subject(server, tls, truong.address, truong.password, subject)) == 1


def test_a_full_mailbox_on_submission_keeps_or_returns_the_message_as_configured(
        host, server, tls, accounts, tien, over_answer):
    """On 587 the quota is checked when Dovecot delivers: the mail client never sees a failure,
    the other recipients get the message, and the full mailbox's copy waits in the queue
    (temporary) or goes back to the sender (permanent)."""
    quynh, truong = accounts["quynh"], accounts["truong"]
    subject = unique("Kế hoạch công tác tháng")
    before = set(queue_ids(host))
    assert submit(server, tls, quynh, [tien.address, truong.address], filler(truong.address, subject, 1_000, quynh.address)) == {}
    assert len(fetch_by_subject(server, tls, truong.address, truong.password, subject)) == 1

    if over_answer == 452:
        waiting = wait_for(lambda: set(queue_ids(host)) - before)
        assert len(waiting) == 1
        # Room is made (here: the quota goes back up); the retry delivers it, once.
        set_quota(host, tien.uid, 10 * QUOTA)
        host.check_output("postqueue -i %s", waiting.pop())
        assert len(fetch_by_subject(server, tls, tien.address, tien.password, subject)) == 1
        set_quota(host, tien.uid, QUOTA)
    else:
        bounce = fetch_by_subject(server, tls, quynh.address, quynh.password, "Undelivered Mail")
        assert any(subject.encode() in raw for raw in bounce)


def test_the_quota_is_the_directory_s(host, accounts, tien):
    assert storage(host, tien.address)[1] == -(-QUOTA // 1024)  # kB, rounded up
    assert storage(host, accounts["truong"].address)[1] * 1024 == 2 * 1024**3  # the gialai preset's 2G
