#!/usr/bin/env python3
"""One timed run of bench/delivery.py, inside the benchmark's container (as root).

Injects --count messages into Postfix on port 25 (at --server) with smtp-source, one
sequence of sessions per recipient, and waits until every message has arrived where the
row's target says (files in the recipients' Maildirs, or smtp-sink's count) and Postfix's
queue is empty. Every message is the message file with one more line of text that numbers
it (and --tag, the run), so that no two messages of the benchmark have the same body: a
content filter that caches its verdicts by the body's digest (rspamd does, for the virus
scanner) must scan each one. smtp-source sends one file over and over, so each message
is a run of smtp-source of its own.

Meanwhile it samples the memory of the mail stack: the sum of the proportional set size
(PSS) of every process in the container except the benchmark's own (this script, its
shells, smtp-source and smtp-sink) and journald (see NOT_COUNTED), and, at the peak, the
same sum for each systemd service. Prints one JSON object.

Runs with the container's python3 and standard library only: it is copied in by
bench/delivery.py.
"""

import argparse
import email
import email.policy
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")
SPOOL = Path("/var/spool/postfix")
SINK_COUNTERS = Path("/tmp/bench-smtp-sink.counters")
MESSAGES = Path("/root/bench-messages")
# Left out of the stack's memory: the benchmark's tools (and the shells that run smtp-source),
# and journald, whose PSS is mostly the journal files it maps, growing with every line logged
# (page cache, not working memory).
NOT_COUNTED = {"smtp-source", "smtp-sink", "bash", "systemd-journal"}
NOT_COUNTED_SERVICES = {"bench-nxdomain"}  # the benchmark's DNS server for rspamd
# The benchmark shares the stack's CPU, so its own checks are kept cheap: the queue and the
# clients every POLL seconds; the arrivals (a scan of every mailbox's directories) every COUNT
# seconds, and once the clients are done and the queue is empty; the memory (smaps_rollup of
# every process) every SAMPLE seconds. At 20 scans and 4 samples a second they took 9 % of
# the CPU in the full-chain row, and less in the row to smtp-sink, whose arrivals are a counter.
POLL = 0.05
COUNT = 1.0
SAMPLE = 1.0


def queued():
    return sum(len(files) for queue in QUEUES for _, _, files in os.walk(SPOOL / queue))


def mailbox_files(maildirs):
    count = 0
    for maildir in maildirs:
        for sub in ("new", "cur"):
            try:
                count += sum(1 for _ in os.scandir(maildir / sub))
            except FileNotFoundError:
                pass
    return count


def sink_messages():
    """Messages smtp-sink has received: its last counter line, "sess=.. quit=.. mesg=N"."""
    with SINK_COUNTERS.open("rb") as counters:
        counters.seek(max(0, SINK_COUNTERS.stat().st_size - 64))
        last = counters.read().rstrip(b"\r").split(b"\r")[-1]
    return int(last.rsplit(b"mesg=", 1)[1]) if b"mesg=" in last else 0


def service(pid_dir):
    """The systemd unit a process belongs to (rspamd, clamav-daemon, ...), from its cgroup."""
    for line in Path(pid_dir, "cgroup").read_text().splitlines():
        if ":name=systemd:" in line or line.startswith("0::"):
            unit = line.rsplit("/", 1)[1]
            if unit.endswith((".service", ".scope")):
                return unit.rsplit(".", 1)[0]
    return "other"


def stack_pss(own):
    """Bytes of PSS of the container's processes, the benchmark's own left out, per service."""
    by_service = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in own:
            continue
        try:
            if Path(entry.path, "comm").read_text().strip() in NOT_COUNTED:
                continue
            for line in Path(entry.path, "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    unit = service(entry.path)
                    if unit in NOT_COUNTED_SERVICES:
                        break
                    by_service[unit] = by_service.get(unit, 0) + int(line.split()[1]) * 1024
                    break
        except (FileNotFoundError, ProcessLookupError):
            pass  # the process ended meanwhile
    return by_service


def write_messages(template, count, tag):
    """count files: the message file, each with a last line of text of its own."""
    shutil.rmtree(MESSAGES, ignore_errors=True)
    MESSAGES.mkdir()
    text = Path(template).read_bytes()
    paths = []
    for number in range(count):
        path = MESSAGES / f"{number}.eml"
        path.write_bytes(text + f"Thư số {number + 1} của lượt {tag}.\n".encode())
        paths.append(str(path))
    return paths


def wait_for_port(port, deadline):
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"smtp-sink did not listen on port {port}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", choices=("mailboxes", "sink"), required=True)
    parser.add_argument("--message", required=True, help="file with the message, as smtp-source -F sends it")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--sender", required=True)
    parser.add_argument("--server", default="127.0.0.1", help="the address smtp-source connects to, on port 25")
    parser.add_argument("--tag", default="", help="written in every message, so that runs differ too")
    parser.add_argument("--sink-port", type=int, default=2526)
    parser.add_argument("--mail-root", default="/var/vmail")
    parser.add_argument("--stall", type=float, default=120, help="give up after this many seconds without progress")
    parser.add_argument("recipients", nargs="+")
    args = parser.parse_args()

    maildirs = [Path(args.mail_root, r.split("@")[1], r.split("@")[0], "Maildir") for r in args.recipients]
    if args.target == "mailboxes":
        before = mailbox_files(maildirs)
        result = timed_run(args, lambda: mailbox_files(maildirs) - before)
        sample = next(path for maildir in maildirs for path in (maildir / "new").iterdir())
        with sample.open("rb") as handle:
            result["subject"] = str(email.message_from_binary_file(handle, policy=email.policy.default)["Subject"])
    else:
        # -c: running counters on stdout; -h: a greeting other than Postfix's own host name,
        # or Postfix would see a mail loop.
        with SINK_COUNTERS.open("wb") as counters:
            sink = subprocess.Popen(["smtp-sink", "-u", "nobody", "-h", "sink.bench.invalid", "-c",
                                     f"127.0.0.1:{args.sink_port}", "256"], stdout=counters)
        try:
            wait_for_port(args.sink_port, time.monotonic() + 10)
            result = timed_run(args, sink_messages)
        finally:
            sink.terminate()
            sink.wait()
    print(json.dumps(result, ensure_ascii=False))


def timed_run(args, arrivals):
    """Inject the messages; the seconds until arrivals() counts them all and the queue is empty."""
    if queued():
        sys.exit("Postfix's queue is not empty before the run")
    files = write_messages(args.message, args.count, args.tag)
    shares = [files[i::len(args.recipients)] for i in range(len(args.recipients))]
    own = {os.getpid()}
    at_rest = stack_pss(own)
    # One shell per recipient sends its share of the messages, one session after the other.
    send = ('for file; do smtp-source -4 -s 1 -m 1 -M bench.example.org -f "$SENDER" -t "$RECIPIENT" '
            '-F "$file" "$SERVER:25" || exit; done')
    start = time.monotonic()
    sources = [subprocess.Popen(["bash", "-c", send, "bash", *share], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, SENDER=args.sender, RECIPIENT=recipient, SERVER=args.server))
               for recipient, share in zip(args.recipients, shares) if share]
    peak, sampled, counted, progress, last = at_rest, start, start, start, None
    arrived = 0

    def sample():
        nonlocal peak
        pss = stack_pss(own)
        if sum(pss.values()) > sum(peak.values()):
            peak = pss

    while True:
        now = time.monotonic()
        if now - sampled >= SAMPLE:
            sample()
            sampled = now
        ended = [source.poll() for source in sources]
        if any(ended):  # an exit status other than None (running) or 0
            sys.exit("smtp-source failed: " + next(s.stderr.read() for s, e in zip(sources, ended) if e).strip())
        in_queue = queued()
        sent = None not in ended
        if (sent and not in_queue) or now - counted >= COUNT:
            arrived, counted = arrivals(), now
        if sent and arrived >= args.count and not in_queue:
            break
        if (arrived, in_queue) != last:
            progress, last = now, (arrived, in_queue)
        if now - progress > args.stall:
            sys.exit(f"no progress for {args.stall:.0f} s: {arrived} of {args.count} arrived, {in_queue} queued "
                     "(see postqueue -p and journalctl -u postfix in the container)")
        time.sleep(POLL)
    seconds = time.monotonic() - start
    sample()
    return {"seconds": seconds, "arrived": arrived, "idle_pss": sum(at_rest.values()), "peak_pss": sum(peak.values()),
            "peak_by_service": peak}


if __name__ == "__main__":
    main()
