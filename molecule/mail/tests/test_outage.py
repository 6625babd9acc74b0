"""The directory goes down: mail waits (4xx, queue), nothing bounces, nothing is lost or doubled."""

import time

from conftest import (
    OUTSIDER, Dialog, fetch_by_subject, queue, queue_ids, submit, testinfra_hosts, unique, wait_for,
)

__all__ = ["testinfra_hosts"]


def delay_reasons(host, queue_id):
    """Why the message waits, or None once it has left the queue."""
    for entry in queue(host):
        if entry["queue_id"] == queue_id:
            return " ".join(r.get("delay_reason", "") for r in entry["recipients"])
    return None


def test_mail_waits_through_a_directory_outage_and_arrives_once(host, server, tls, accounts):
    quynh, truong = accounts["quynh"], accounts["truong"]
    queued_subject, retried_subject = unique("Thư trong hàng đợi"), unique("Thư gửi lại")
    before = set(queue_ids(host))
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    try:
        # A message accepted while the directory is up, held in the queue for now.
        host.check_output("postconf -e defer_transports=lmtp && postfix reload")
        message = f"From: {quynh.address}\r\nSubject: {queued_subject}\r\n\r\nĐang chờ.\r\n".encode()
        assert submit(server, tls, quynh, [truong.address], message, mail_options=["SMTPUTF8"]) == {}
        (queued,) = wait_for(lambda: set(queue_ids(host)) - before)

        host.check_output("systemctl stop slapd")

        # A server sending now hears "try again later" at RCPT, for a known address too.
        session = Dialog(server, starttls_with=tls)
        try:
            assert session.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
            code, text = session.command(f"RCPT TO:<{truong.address}>")
            assert 400 <= code < 500, text
        finally:
            session.close()

        # The queued message is tried and stays queued: Postfix cannot tell where it goes (its
        # transport_maps are in the directory, roles/postfix) or Dovecot cannot look the recipient up.
        host.check_output("postconf -X defer_transports && postfix reload && sleep 2 && postqueue -i %s", queued)
        reason = wait_for(lambda: (delay_reasons(host, queued) or "").replace("deferred transport", ""), timeout=30)
        assert "address resolver failure" in reason or " 451 " in reason or " 4.3.0 " in reason, reason
    finally:
        host.run("postconf -X defer_transports; postfix reload")
        host.check_output("systemctl start slapd")

    # The directory is back: the queue is flushed and the sender retries.
    host.check_output("postqueue -f")
    session = Dialog(server, starttls_with=tls)
    try:
        assert session.command(f"MAIL FROM:<{OUTSIDER}>")[0] == 250
        assert session.command(f"RCPT TO:<{truong.address}>")[0] == 250
        assert session.command("DATA")[0] == 354
        code, text = session.command(f"From: {OUTSIDER}\r\nSubject: {retried_subject}\r\n\r\nGửi lại.\r\n.")
        assert code == 250, text
    finally:
        session.close()

    for subject in (queued_subject, retried_subject):
        assert len(fetch_by_subject(server, tls, truong.address, truong.password, subject)) == 1
    time.sleep(1)
    assert len(fetch_by_subject(server, tls, truong.address, truong.password, queued_subject, wait=0)) == 1
    assert queued not in queue_ids(host)
    # Nothing bounced: no delivery status notification was made since the test began.
    log = host.check_output("journalctl --since %s -o cat -t postfix/bounce -t postfix/lmtp", since)
    assert "status=bounced" not in log and "sender non-delivery notification" not in log
