"""An authenticated sender past the per-sender limit hears 4xx, and the log says why."""

import re

from conftest import message, refusal, rspamd_log, submit, testinfra_hosts, unique

__all__ = ["testinfra_hosts"]


def test_a_sender_over_the_rate_limit_is_told_to_wait(host, server, tls, accounts, since):
    tan, truong = accounts["tan"], accounts["truong"]
    settings = host.file("/etc/rspamd/local.d/ratelimit.conf").content_string
    burst = int(re.search(r"burst = (\d+);", settings).group(1))
    answers = []
    for number in range(burst + 3):
        msg = message(tan.address, truong.address, unique(f"Thông báo số {number}"))
        answers.append(refusal(lambda m=msg: submit(server, tls, tan, [truong.address], m.as_bytes())))
        if answers[-1] is not None:
            break
    accepted = answers[:-1]
    code, text = answers[-1]
    assert accepted and all(a is None for a in accepted), answers
    assert len(accepted) <= burst + 1, answers
    assert code == 451 and "4.7.1" in text, (code, text)
    # The operator sees who was limited.
    log = rspamd_log(host, since)
    assert "ratelimit" in log.lower() and tan.address in log, log[-2000:]
