"""Viruses and spam are refused at the end of DATA (5.7.1), on 25 and on authenticated 587:
nothing reaches a mailbox, nothing bounces, and the log names the message."""

import pytest
from conftest import (
    EICAR, GTUBE, OUTSIDER, deliver, message, no_bounce_since, queue, refusal, stored_anywhere, submit,
    testinfra_hosts, unique, verdict,
)

__all__ = ["testinfra_hosts"]


def send(port, server, tls, sender_account, to, msg):
    if port == 25:
        return lambda: deliver(server, tls, OUTSIDER, [to], msg.as_bytes())
    return lambda: submit(server, tls, sender_account, [to], msg.as_bytes())


@pytest.mark.parametrize("port", [25, 587])
def test_a_virus_is_refused_and_stored_nowhere(host, server, tls, accounts, since, port):
    quynh, truong = accounts["quynh"], accounts["truong"]
    subject = unique("Tài liệu đính kèm")
    sender = OUTSIDER if port == 25 else quynh.address
    msg = message(sender, truong.address, subject, attachment=("bao-cao.com", EICAR))

    code, text = refusal(send(port, server, tls, quynh, truong.address, msg))
    assert code == 554 and "5.7.1" in text and "Eicar" in text, (code, text)

    assert stored_anywhere(host, subject) == []
    assert not [entry for entry in queue(host) if entry["sender"] == sender]
    assert no_bounce_since(host, since)
    line = verdict(host, since, msg["Message-ID"])
    assert "reject" in line and "CLAM_VIRUS" in line, line


@pytest.mark.parametrize("port", [25, 587])
def test_the_gtube_test_message_is_refused(host, server, tls, accounts, since, port):
    quynh, truong = accounts["quynh"], accounts["truong"]
    subject = unique("Khuyến mãi")
    sender = OUTSIDER if port == 25 else quynh.address
    msg = message(sender, truong.address, subject, body=f"Thư thử nghiệm.\n{GTUBE}\n")

    code, text = refusal(send(port, server, tls, quynh, truong.address, msg))
    assert code == 554 and "5.7.1" in text, (code, text)

    assert stored_anywhere(host, subject) == []
    assert no_bounce_since(host, since)
    line = verdict(host, since, msg["Message-ID"])
    assert "reject" in line and "GTUBE" in line, line


def test_the_local_eicar_signature_is_what_sigtool_makes(host):
    """The demo's signature (clamav_eicar_signature) is the line `sigtool --md5` gives for EICAR."""
    host.check_output("printf '%%s' %s > /tmp/eicar.com", EICAR.decode())
    made = host.check_output("cd /tmp && sigtool --md5 eicar.com && rm eicar.com").split(":")[:2]
    installed = host.file("/var/lib/clamav/eicar-test.hdb").content_string.strip().split(":")
    assert installed[:2] == made
