#!/usr/bin/env python3
"""Postfix delivering to Dovecot, against Postfix delivering to smtp-sink, in the same run.

Stands up a container `mailgov-bench-delivery` with the whole mail server
(playbooks/site.yml with the demo inventory). Each row of ROWS is a Postfix configuration:
main.cf settings on top of the role's main.cf and COMMON (in_flow_delay = 0, so Postfix
does not slow its clients down). For each repetition and each row, inside the container:
the stack is restarted with the row's settings, smtp-source injects --messages copies of one
message (a Vietnamese subject and text, about --size bytes) on port 25, spread over every
mailbox of the demo roster, one smtp-source process per mailbox; the clock stops when every
message has arrived (files in the Maildirs, or smtp-sink's count) and the queue is empty.
The peak memory of the stack (PSS of every process but the benchmark's own and journald)
is sampled meanwhile. main.cf is restored after every row and at the end. Reported per row: the median
rate in messages per second, and the ratio to the row's baseline.

    .venv/bin/python bench/delivery.py [--messages 2000] [--size 4096] [--repeat 3] [--keep]
"""

import argparse
import json
import re
import statistics
import sys
import tempfile
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


@dataclass(frozen=True)
class Row:
    name: str
    target: str  # where arrivals are counted: "mailboxes" (Dovecot's Maildirs) or "sink" (smtp-sink)
    postconf: dict = field(default_factory=dict)  # main.cf settings of this row
    baseline: str | None = None  # the row this one is compared with
    # Restarted before each run, so that every run starts with the same processes and its
    # memory peak does not carry idle processes left by the row before.
    services: tuple = ("dovecot", "postfix")


SINK = "Postfix to smtp-sink"
# Another configuration (milters in front of Dovecot, say) is one more Row: its main.cf
# settings, where its messages arrive, its baseline, and the services it adds.
ROWS = (
    Row("Postfix to Dovecot", "mailboxes", baseline=SINK),
    # The same recipients, checked the same way at RCPT, then relayed to smtp-sink: the
    # domain's transport overrides virtual_transport (LMTP to Dovecot).
    Row(SINK, "sink", {"transport_maps": f"inline:{{{DOMAIN}=smtp:[127.0.0.1]:{SINK_PORT}}}"}),
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
            server.set_up(Path(tmp) / "passwords")
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
    # Every mailbox that receives mail: people (locked ones too) and unit mailboxes.
    recipients = sorted(server.exec(
        f"ldapsearch -Q -Y EXTERNAL -H ldapi:/// -b {BASE_DN} -LLL "
        "'(&(objectClass=mailAccount)(!(mailStatus=recalled)))' mail | sed -n 's/^mail: //p'",
        capture=True).split())
    server.exec(f"cp -p {MAIN_CF} {SAVED_MAIN_CF}")
    print(f"{args.messages} messages of {eml.stat().st_size} bytes to {len(recipients)} mailboxes, "
          f"{args.repeat} runs of each row", file=sys.stderr)

    results = {row.name: [] for row in ROWS}
    try:
        for run in range(args.repeat):
            for row in ROWS:
                settings = {**COMMON, **row.postconf}
                server.exec(f'cp -p {SAVED_MAIN_CF} {MAIN_CF} && postconf -e "$@" '
                            f'&& systemctl restart {" ".join(row.services)}',
                            *(f"{key}={value}" for key, value in settings.items()))
                if row.target == "mailboxes":
                    empty_mailboxes(server, recipients)
                out = server.exec(f"python3 {DRIVER} --target {row.target} --message {MESSAGE} "
                                  f"--count {args.messages} --sender {SENDER} --sink-port {SINK_PORT} \"$@\"",
                                  *recipients, capture=True)
                result = json.loads(out)
                if row.target == "mailboxes":
                    check_mailboxes(server, recipients, args.messages, result)
                results[row.name].append(result)
                print(f"run {run + 1}, {row.name}: {result['seconds']:.1f} s, "
                      f"{args.messages / result['seconds']:.0f} messages/s, "
                      f"peak {result['peak_pss'] / 2**20:.0f} MiB", file=sys.stderr)
    finally:
        server.exec(f"cp -p {SAVED_MAIN_CF} {MAIN_CF} && systemctl restart postfix")
    if any(row.target == "mailboxes" for row in ROWS):
        empty_mailboxes(server, recipients)
    return results


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
