#!/usr/bin/env python3
"""Postfix delivering to Dovecot, with and without its content filter (rspamd, which calls
ClamAV), against Postfix delivering to smtp-sink, in the same run.

Stands up a container `mailgov-bench-delivery` with the whole mail server
(playbooks/site.yml with the demo inventory). Each row of ROWS is a Postfix configuration:
main.cf settings on top of the role's main.cf and COMMON (in_flow_delay = 0, so Postfix
does not slow its clients down); rows without the filter empty smtpd_milters. For each
repetition and each row, inside the container: the stack is restarted with the row's
settings, smtp-source injects --messages messages (a Vietnamese subject and text, about
--size bytes, each with a line of its own so that no two bodies are alike) on port 25 of
the container's own address (an outside client to Postfix and rspamd), spread over every
mailbox of the demo roster, one sequence of sessions per mailbox; the clock stops when every
message has arrived (files in the Maildirs, or smtp-sink's count) and the queue is empty.
rspamd's journal must then show one scan, and one clean verdict of ClamAV, per message in
the rows with the filter and none in the others. The peak memory of the stack (PSS of every
process but the benchmark's own and journald, and per service at the peak) is sampled
meanwhile. main.cf is restored after every row and at the end. Reported per row: the median
rate in messages per second, and the ratio to the row's baseline.

For the benchmark only, rspamd asks its DNS questions to bench/nxdomain.py, which answers
"no such name" at once: the build machines have no DNS for the internet, where every
message would wait 5 s for rspamd's lookups to time out; and journald does not drop rspamd's
lines (its rate limit is lifted for rspamd), since they are counted.

    .venv/bin/python bench/delivery.py [--messages 2000] [--size 4096] [--repeat 3] [--keep]
"""

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import ROOT, Container  # noqa: E402

CONTAINER = "mailgov-bench-delivery"
DOMAIN = "gialai.gov.vn"
BASE_DN = "dc=gialai,dc=gov,dc=vn"
SENDER = "ban.be@example.org"  # from another server: port 25 refuses the domain's own senders
SINK_PORT = 2526
DRIVER = "/root/delivery_run.py"
MESSAGE = "/root/delivery-message.eml"
MAIN_CF = "/etc/postfix/main.cf"
SAVED_MAIN_CF = "/root/main.cf.before-bench"
COMMON = {"in_flow_delay": "0"}
NO_FILTER = {"smtpd_milters": "", "non_smtpd_milters": ""}
DNS_SERVER = "/root/nxdomain.py"
DNS_PORT = 5353
DNS_UNIT = "bench-nxdomain"  # its memory is not the stack's: delivery_run.py leaves it out
RSPAMD_OPTIONS = "/etc/rspamd/override.d/options.inc"  # the role's; the DNS server is added for the run
SAVED_RSPAMD_OPTIONS = "/root/options.inc.before-bench"
# The role's default: only loopback is local to rspamd. The demo inventory adds podman's
# network, whose mail then skips SPF, DMARC and the block lists; the benchmark's client is on
# that network and must be checked as any outside server is.
LOCAL_NETWORKS = json.dumps({"rspamd_local_networks": ["127.0.0.0/8", "::1"]})
JOURNAL_DROPIN = "/etc/systemd/system/rspamd.service.d/bench-log.conf"
CLEAN = "clamav: message or mime_part is clean"
TASK = "rspamd_task_write_log"


@dataclass(frozen=True)
class Row:
    name: str
    target: str  # where arrivals are counted: "mailboxes" (Dovecot's Maildirs) or "sink" (smtp-sink)
    postconf: dict = field(default_factory=dict)  # main.cf settings of this row
    baseline: str | None = None  # the row this one is compared with
    # Whether Postfix hands the messages to rspamd (and rspamd to ClamAV): checked in main.cf
    # and, after the run, in rspamd's journal.
    filtered: bool = False
    # Restarted before each run, so that every run starts with the same processes and its
    # memory peak does not carry idle processes left by the row before. clamd and redis run in
    # every row (and count in its memory), but are not restarted: clamd takes long to load.
    services: tuple = ("rspamd", "dovecot", "postfix")


SINK = "Postfix to smtp-sink"
CHAIN = "Postfix with rspamd and ClamAV to Dovecot"
ROWS = (
    # The same recipients, checked the same way at RCPT, then relayed to smtp-sink without the
    # filter: the domain's transport overrides virtual_transport (LMTP to Dovecot).
    Row(SINK, "sink", {**NO_FILTER, "transport_maps": f"inline:{{{DOMAIN}=smtp:[127.0.0.1]:{SINK_PORT}}}"}),
    Row("Postfix to Dovecot", "mailboxes", NO_FILTER, baseline=SINK),
    # The configuration the roles write: every message through rspamd's milter, and ClamAV.
    Row(CHAIN, "mailboxes", baseline=SINK, filtered=True),
)

TEXT = ("Kính gửi các cơ quan, đơn vị trên địa bàn tỉnh Gia Lai. Thực hiện chỉ đạo của Ủy ban nhân dân "
        "tỉnh về việc ứng dụng công nghệ thông tin trong hoạt động của cơ quan nhà nước, Sở Thông tin và "
        "Truyền thông đề nghị các đơn vị rà soát danh sách hộp thư công vụ, cập nhật thông tin cán bộ, "
        "công chức, viên chức và báo cáo kết quả trước ngày 30 tháng 6.\n")
SUBJECT = "Về việc rà soát hộp thư điện tử công vụ năm 2026 (Sở Thông tin và Truyền thông)"


def message(size):
    """The injected message: headers and about `size` bytes of Vietnamese text, as UTF-8."""
    msg = EmailMessage()
    msg["From"] = f"Ban Bê <{SENDER}>"
    msg["To"] = "undisclosed-recipients:;"
    msg["Subject"] = SUBJECT
    body = (TEXT * (size // len(TEXT.encode()) + 1)).encode()[:size].decode(errors="ignore")
    msg.set_content(body.rsplit("\n", 1)[0] + "\n", cte="8bit")
    return msg.as_bytes()


def median(values):
    return statistics.median(values) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=4096, help="bytes of text in each message")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each row (the median is reported)")
    parser.add_argument("--keep", action="store_true", help="keep the container afterwards")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        server = Container(CONTAINER, tmp)
        server.start()
        try:
            server.set_up(Path(tmp) / "passwords", LOCAL_NETWORKS)
            eml = Path(tmp) / "message.eml"
            eml.write_bytes(message(args.size))
            results = measure(server, args, eml)
        finally:
            if not args.keep:
                server.remove()
    return report(results, args, eml_size=len(message(args.size)))


def measure(server, args, eml):
    server.podman("cp", str(eml), f"{CONTAINER}:{MESSAGE}")
    server.podman("cp", str(ROOT / "bench/delivery_run.py"), f"{CONTAINER}:{DRIVER}")
    server.podman("cp", str(ROOT / "bench/nxdomain.py"), f"{CONTAINER}:{DNS_SERVER}")
    # The container's own address: smtp-source there is an outside client (rspamd counts only
    # 127.0.0.0/8 as local, and Postfix's mynetworks is empty in the demo).
    address = server.exec("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1", capture=True).strip()
    bench_conditions(server, on=True)
    # Every mailbox that receives mail: people (locked ones too) and unit mailboxes.
    recipients = sorted(server.exec(
        f"ldapsearch -Q -Y EXTERNAL -H ldapi:/// -b {BASE_DN} -LLL "
        "'(&(objectClass=mailAccount)(!(mailStatus=recalled)))' mail | sed -n 's/^mail: //p'",
        capture=True).split())
    server.exec(f"cp -p {MAIN_CF} {SAVED_MAIN_CF}")
    print(f"{args.messages} messages of {eml.stat().st_size} bytes to {len(recipients)} mailboxes, "
          f"{args.repeat} runs of each row", file=sys.stderr)

    results = {row.name: [] for row in ROWS}
    # In every message's text, with the run and the row: no body is like one of an earlier
    # benchmark in the same container (--keep), whose verdict rspamd would have cached.
    token = uuid.uuid4().hex[:8]
    try:
        for run in range(args.repeat):
            for row in ROWS:
                settings = {**COMMON, **row.postconf}
                server.exec(f'cp -p {SAVED_MAIN_CF} {MAIN_CF} && postconf -e "$@" '
                            f'&& systemctl restart {" ".join(row.services)}',
                            *(f"{key}={value}" for key, value in settings.items()))
                check_filter(server, row)
                if row.target == "mailboxes":
                    empty_mailboxes(server, recipients)
                since = server.exec("date +%s.%N", capture=True).strip()
                out = server.exec(f"python3 {DRIVER} --target {row.target} --message {MESSAGE} "
                                  f"--count {args.messages} --sender {SENDER} --sink-port {SINK_PORT} "
                                  f"--server {address} --tag {token}-{run + 1}-{ROWS.index(row) + 1} \"$@\"",
                                  *recipients, capture=True, privileged=True)
                result = json.loads(out)
                if row.target == "mailboxes":
                    check_mailboxes(server, recipients, args.messages, result)
                result["scan_ms"] = check_scans(server, row, since, args.messages)
                results[row.name].append(result)
                scans = (f", rspamd {median(result['scan_ms']):.0f} ms a message (median)"
                         if result["scan_ms"] else "")
                print(f"run {run + 1}, {row.name}: {result['seconds']:.1f} s, "
                      f"{args.messages / result['seconds']:.0f} messages/s, "
                      f"peak {result['peak_pss'] / 2**20:.0f} MiB{scans}", file=sys.stderr)
    finally:
        server.exec(f"cp -p {SAVED_MAIN_CF} {MAIN_CF} && systemctl restart postfix")
        bench_conditions(server, on=False)
    if any(row.target == "mailboxes" for row in ROWS):
        empty_mailboxes(server, recipients)
    return results


def bench_conditions(server, on):
    """rspamd's DNS answered at once by nxdomain.py, and all its log lines kept; or undone."""
    if on:
        server.exec(f'(systemctl stop {DNS_UNIT} 2>/dev/null; true) '
                    f'&& systemd-run --quiet --unit={DNS_UNIT} python3 {DNS_SERVER} {DNS_PORT} '
                    f'&& ([ -e {SAVED_RSPAMD_OPTIONS} ] || cp -p {RSPAMD_OPTIONS} {SAVED_RSPAMD_OPTIONS}) '
                    f'&& cp -p {SAVED_RSPAMD_OPTIONS} {RSPAMD_OPTIONS} && mkdir -p "$(dirname {JOURNAL_DROPIN})" '
                    f'&& printf "%s\\n" "$1" >> {RSPAMD_OPTIONS} && printf "%s\\n" "$2" > {JOURNAL_DROPIN} '
                    '&& systemctl daemon-reload && systemctl restart rspamd',
                    f'dns {{ nameserver = ["127.0.0.1:{DNS_PORT}"]; }}',
                    "[Service]\nLogRateLimitIntervalSec=0")
    else:
        server.exec(f"systemctl stop {DNS_UNIT}; mv {SAVED_RSPAMD_OPTIONS} {RSPAMD_OPTIONS} && rm -f {JOURNAL_DROPIN} "
                    "&& systemctl daemon-reload && systemctl restart rspamd")


def check_filter(server, row):
    """The milter is in main.cf in the filtered rows only; rspamd listens before the run."""
    milters = server.exec("postconf -h smtpd_milters", capture=True).strip()
    if bool(milters) != row.filtered:
        sys.exit(f"{row.name}: smtpd_milters is {milters!r}")
    server.exec("for i in $(seq 60); do (: </dev/tcp/127.0.0.1/11332) 2>/dev/null && exit; sleep 1; done; "
                "echo rspamd does not listen on 11332 >&2; exit 1")


def check_scans(server, row, since, expected):
    """rspamd's scans since the run began, as its journal tells: their times in ms.

    In a filtered row every message must have been scanned once and found clean by ClamAV (not
    taken from rspamd's cache); in the others none may have reached rspamd.
    """
    for _ in range(20):  # journald writes the last lines a little later
        log = server.exec(f"journalctl -u rspamd --since @{since} -o cat", capture=True)
        tasks = [line for line in log.splitlines() if TASK in line]
        clean = log.count(CLEAN)
        if not row.filtered or (len(tasks) >= expected and clean >= expected):
            break
        time.sleep(1)
    wanted = expected if row.filtered else 0
    if len(tasks) != wanted or clean != wanted:
        sys.exit(f"{row.name}: rspamd's journal shows {len(tasks)} scans and {clean} clean verdicts of ClamAV "
                 f"for {expected} messages (expected {wanted} of each)")
    return [float(time_ms) for line in tasks for time_ms in re.findall(r", time: ([0-9.]+)ms", line)]


def empty_mailboxes(server, recipients):
    """Expunge the INBOXes with doveadm, so every run starts from empty mailboxes."""
    server.exec('for address; do doveadm expunge -u "$address" mailbox INBOX all; done', *recipients)


def check_mailboxes(server, recipients, expected, result):
    """Count the messages as Dovecot sees them, and check the subject survived."""
    counts = server.exec('for address; do doveadm -f flow mailbox status -u "$address" messages INBOX; done',
                         *recipients, capture=True)
    total = sum(int(count) for count in re.findall(r"messages=(\d+)", counts))
    if total != expected or result["subject"] != SUBJECT:
        sys.exit(f"expected {expected} messages with the subject {SUBJECT!r} in the INBOXes, "
                 f"Dovecot has {total}, one of them with the subject {result['subject']!r}")


def report(results, args, eml_size):
    rates = {name: median([args.messages / r["seconds"] for r in runs]) for name, runs in results.items()}
    print(f"{args.messages} messages of {eml_size} bytes; median of {args.repeat} runs; "
          "memory: PSS of the stack, at rest before a run and the peak of all runs")
    print("| row | seconds | messages/s | ratio to its baseline | memory at rest (MiB) | memory peak (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in ROWS:
        runs = results[row.name]
        seconds = median([r["seconds"] for r in runs])
        idle = median([r["idle_pss"] for r in runs]) / 2**20
        peak = max(r["peak_pss"] for r in runs) / 2**20
        ratio = f"{rates[row.name] / rates[row.baseline]:.2f}" if row.baseline else "baseline"
        print(f"| {row.name} | {seconds:.1f} | {rates[row.name]:.0f} | {ratio} | {idle:.0f} | {peak:.0f} |")
    print()
    print("memory peak by service (MiB), in the run of each row with the highest peak")
    peaks = {row.name: max(results[row.name], key=lambda r: r["peak_pss"])["peak_by_service"] for row in ROWS}
    services = sorted({unit for by in peaks.values() for unit in by}, key=lambda unit: -peaks[CHAIN].get(unit, 0))
    print("| service | " + " | ".join(row.name for row in ROWS) + " |")
    print("| --- |" + " ---: |" * len(ROWS))
    for unit in services:
        print(f"| {unit} | " + " | ".join(f"{peaks[row.name].get(unit, 0) / 2**20:.1f}" for row in ROWS) + " |")
    for row in ROWS:
        scans = sorted(t for r in results[row.name] for t in r["scan_ms"])
        if scans:
            print(f"\n{row.name}: rspamd's time per message (its log), median {median(scans):.0f} ms, "
                  f"90th percentile {scans[int(len(scans) * 0.9)]:.0f} ms, over {len(scans)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
