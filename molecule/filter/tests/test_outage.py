"""ClamAV or rspamd down: the sender hears 4xx, nothing is accepted unscanned, nothing bounces;
once the service is back, the sender's retry is scanned and delivered exactly once."""

import pytest
from conftest import (
    OUTSIDER, deliver, fetch_by_subject, message, no_bounce_since, queue, refusal, submit, task_lines,
    testinfra_hosts, unique, verdict, wait_for,
)

__all__ = ["testinfra_hosts"]

# What "down" means for each: clamd is also started by its socket (systemd socket activation),
# so both are stopped.
SERVICES = {
    "clamd": ("clamav-daemon.socket clamav-daemon.service", "clamdscan --ping 30:2"),
    "rspamd": ("rspamd", "bash -c 'for i in $(seq 60); do (: </dev/tcp/127.0.0.1/11332) 2>/dev/null && exit; sleep 1; done; exit 1'"),
}


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("port", [25, 587])
def test_mail_waits_while_the_filter_is_down_and_arrives_once(host, server, tls, accounts, since, service, port):
    quynh, truong = accounts["quynh"], accounts["truong"]
    units, ready = SERVICES[service]
    subject = unique(f"Thư trong lúc {service} ngừng")
    sender = OUTSIDER if port == 25 else quynh.address
    msg = message(sender, truong.address, subject, body="Báo cáo tuần: đã hoàn thành kiểm tra.\n")
    raw = msg.as_bytes()

    def send():
        if port == 25:
            return deliver(server, tls, OUTSIDER, [truong.address], raw)
        return submit(server, tls, quynh, [truong.address], raw)

    host.check_output(f"systemctl stop {units}")
    try:
        answer = refusal(send)
        assert answer is not None and 400 <= answer[0] < 500, answer
        assert not [entry for entry in queue(host) if entry["sender"] == sender]
    finally:
        host.check_output(f"systemctl start {units}")
    host.check_output(ready)

    # The sender's retry: the same message, now scanned and delivered.
    assert wait_for(lambda: refusal(send) is None, timeout=30)
    assert len(fetch_by_subject(server, tls, truong.address, truong.password, subject)) == 1
    assert no_bounce_since(host, since)
    line = verdict(host, since, msg["Message-ID"])
    assert "no action" in line or "add header" in line, line
    # Scanned by ClamAV: the antivirus module logged a clean result in the task of the retry.
    assert any("clamav: message or mime_part is clean" in entry for entry in task_lines(host, since, msg["Message-ID"]))
