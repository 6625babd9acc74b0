#!/usr/bin/env python3
"""Copying mailboxes from an old server over IMAP with Dovecot's own engine, against a local copy (the floor).

Stands up a container `mailgov-bench-migration` from the converged stack image (the demo server) and,
in it, "the old server": a second Dovecot of its own config (/etc/dovecot-old, plain IMAP on
127.0.0.1:10143, Maildir under /srv/oldmail), into whose Maildir 10,000 seeded messages are written
(most a few KB of Vietnamese text, one in ten with 100-400 KB attached, one in a hundred with 2 MB;
one in thirty in "Công văn đến"). After a warm-up of both (the IMAP one a whole copy, which fills the
old server's index cache as years of clients have), it times, in the same run:
  1. the floor: `doveadm backup -R` from the old Maildir, read as a local mailbox, into an empty
     demo account (hard links off, so that every message is written, as from another machine);
  2. the copy as `mailgov.jobs.migrate_mail` runs it (`doveadm -c CONF -o mail_plugins/quota=no sync
     -1 -R -u USER imapc:`, CONF from `mailgov.mail_copy.imapc_config`) into another, and checks that
both hold the old server's messages and bytes, folder by folder. Goal: (2) at least half the rate of
(1), in messages per second. The timed part holds /tmp/mailgov-heavy.lock.

    .venv/bin/python bench/migration.py [--messages 10000] [--image IMAGE] [--keep]
"""

import argparse
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mailgov import mail_copy  # noqa: E402  (the repository's, not the image's)
from messages import MESSAGE  # noqa: E402  (bench/messages.py, beside this script)

CONTAINER = "mailgov-bench-migration"
LOCK = "/tmp/mailgov-heavy.lock"
OLD_CONF = "/etc/dovecot-old/dovecot.conf"
FOLDER = "Công văn đến"
PASSWORD = "matkhau-cu"
# Demo accounts (roster ids) the copies go into: the IMAP copy, the floor, the floor with hard links, warm-ups.
ACCOUNTS = {"imap": "GL-0009", "floor": "GL-0011", "links": "GL-0014", "warm-floor": "GL-0010", "warm-imap": "GL-0012"}
ROWS = {"floor": "floor: `doveadm backup -R` from the old Maildir, read as a local mailbox (no hard links)",
        "imap": "`doveadm sync -1 -R` over IMAP (`imapc:`, 127.0.0.1:10143), as `migrate_mail` runs it",
        "links": "(for reference) the floor with Dovecot's default hard links: no message is written"}
OLD_CONFIG = """dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
base_dir = /run/dovecot-old
instance_name = dovecot-old
protocols = imap
listen = 127.0.0.1
ssl = no
auth_allow_cleartext = yes
mail_driver = maildir
mail_path = ~/Maildir
mail_uid = vmail
mail_gid = vmail
mail_home = /srv/oldmail/%{user}
namespace inbox {
  inbox = yes
  separator = /
}
passdb users {
  driver = passwd-file
  passwd_file_path = /etc/dovecot-old/users
}
userdb static {
  driver = static
}
service imap-login {
  inet_listener imap {
    port = 10143
  }
  inet_listener imaps {
    port = 0
  }
}
"""

# Runs in the container: writes COUNT messages numbered from FIRST into MAILDIR, seeded by their number;
# one in thirty goes to the one folder Dovecot has made there (whatever it named it on disk).
WRITER = MESSAGE + r'''
import os, pwd, sys
first, count, maildir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
vmail = pwd.getpwnam("vmail")
(folder,) = [d for d in os.listdir(maildir) if d.startswith(".")]
for n in range(first, first + count):
    text = message(n, "Phạm Quang Huy <huypq.stnmt@gialai.gov.vn>")
    name = f"{maildir}/{folder if n % 30 == 1 else ''}/cur/{1780000000 + n}.M{n}P1.oldmail.gialai.gov.vn:2,S"
    with open(name, "wb") as out:
        out.write(text.encode())
    os.chown(name, vmail.pw_uid, vmail.pw_gid)
print(folder)
'''
# Runs in the container: time.monotonic around one command, so podman's own start-up is not counted.
TIMER = "import subprocess, sys, time; t = time.monotonic(); subprocess.run(sys.argv[1:], check=True); " \
        "print(time.monotonic() - t)"


def podman(*args, capture=True, stdin=None):
    return subprocess.run(["podman", *args], check=True, cwd=ROOT, capture_output=capture, text=True,
                          input=stdin).stdout


def sh(script, stdin=None):
    return podman("exec", "-i", CONTAINER, "bash", "-ec", script, stdin=stdin)


def timed(*command):
    return float(podman("exec", CONTAINER, "python3", "-c", TIMER, *command).split()[-1])


def status(user, conf=None):
    out = podman("exec", CONTAINER, "doveadm", *(["-c", conf] if conf else []), "-f", "json", "mailbox", "status",
                 "-u", user, "messages vsize", "*")
    return {name: size for name, size in mail_copy.folders(json.loads(out or "[]")).items() if size[0]}


def image():
    """The stack image scripts/scenarios.py names or, when that one is missing, the one there is."""
    named = subprocess.run([str(ROOT / ".venv/bin/python"), "scripts/scenarios.py", "--image"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    if named and subprocess.run(["podman", "image", "exists", named]).returncode == 0:
        return named
    listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", "localhost/mailgov-stack").split()
    if not listed:
        sys.exit("no localhost/mailgov-stack image: scripts/scenarios.py builds it")
    print(f"{named or 'the stack image'} is missing; using {listed[0]}", file=sys.stderr)
    return listed[0]


def start_container(name):
    subprocess.run(["podman", "rm", "--force", CONTAINER], capture_output=True)
    podman("run", "--detach", "--name", CONTAINER, "--hostname", "mail.gialai.gov.vn", "--systemd=always",
           name, "/sbin/init")
    sh("for i in $(seq 120); do case $(systemctl is-system-running || true) in running|degraded) exit 0;; esac; "
       "sleep 1; done; exit 1")


def old_server(mailboxes):
    """The second Dovecot, its users, and their Maildirs written and indexed; what Dovecot named the folder."""
    users = "".join(f"{user}:{{PLAIN}}{PASSWORD}\n" for user in mailboxes)
    sh(f"mkdir -p /etc/dovecot-old /srv/oldmail && chown vmail:vmail /srv/oldmail && cat > {OLD_CONF} && "
       f"printf %s '{users}' > /etc/dovecot-old/users && chgrp dovecot /etc/dovecot-old/users && "
       f"chmod 0640 /etc/dovecot-old/users && dovecot -c {OLD_CONF}", stdin=OLD_CONFIG)
    for first, (user, count) in zip(range(0, 10**9, 100_000), mailboxes.items()):
        podman("exec", CONTAINER, "doveadm", "-c", OLD_CONF, "mailbox", "create", "-u", user, FOLDER)
        on_disk = podman("exec", CONTAINER, "python3", "-c", WRITER, str(first), str(count),
                         f"/srv/oldmail/{user}/Maildir").strip()
        podman("exec", CONTAINER, "doveadm", "-c", OLD_CONF, "force-resync", "-u", user, "*")
    sh("sync")
    return on_disk


def address(ident):
    return sh("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -o ldif-wrap=no -b dc=gialai,dc=gov,dc=vn "
              f"'(uid={ident})' mail | sed -n 's/^mail: //p'").strip()


def imapc_conf(login, version):
    """The account's copy configuration, from the repository's mail_copy, 0600 as migrate_mail writes it."""
    source = {"host": "127.0.0.1", "port": 10143, "ssl": "no"}
    sh(f"umask 077 && cat > /root/imapc-{login}.conf", stdin=mail_copy.imapc_config(source, login, PASSWORD, version))
    return f"/root/imapc-{login}.conf"


def floor(user, old, links=False):
    return ["doveadm", "-o", "mail_plugins/quota=no", "-o", f"maildir_copy_with_hardlinks={'yes' if links else 'no'}",
            "backup", "-R", "-u", user, f"maildir:/srv/oldmail/{old}/Maildir"]


def imap(user, conf):
    return ["doveadm", "-c", conf, "-o", "mail_plugins/quota=no", "sync", "-1", "-R", "-u", user, "imapc:"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--image", help="the stack image (default: the one scripts/scenarios.py --image names)")
    parser.add_argument("--keep", action="store_true", help="keep the container afterwards")
    args = parser.parse_args()
    os.environ.setdefault("CONTAINERS_CONF", str(ROOT / "containers.conf"))  # as the Makefile exports it
    stack = args.image or image()
    print(f"starting {CONTAINER} from {stack}", file=sys.stderr)
    start_container(stack)
    print(f"writing {args.messages} messages on the old server", file=sys.stderr)
    on_disk = old_server({"old@bench": args.messages, "warm@bench": 100})
    old = status("old@bench", OLD_CONF)
    store = int(sh("du -sb /srv/oldmail/old@bench/Maildir").split()[0])
    version = sh("sed -n 's/^dovecot_config_version = //p' /etc/dovecot/dovecot.conf").strip()
    users = {role: address(ident) for role, ident in ACCOUNTS.items()}
    sh("rm -rf " + " ".join(f"/var/vmail/gialai.gov.vn/{user.split('@')[0]}" for user in users.values()))
    assert not any(status(user) for user in users.values()), "a destination mailbox is not empty"
    conf = imapc_conf("old@bench", version)

    with open(LOCK, "a") as lock:  # as flock(1) takes it; closing the file lets it go
        print(f"waiting for {LOCK}", file=sys.stderr)
        fcntl.flock(lock, fcntl.LOCK_EX)
        load = [os.getloadavg()[0]]
        others = [n for n in podman("ps", "--format", "{{.Names}}").split() if n != CONTAINER]
        timed(*floor(users["warm-floor"], "warm@bench"))
        # An old server in use has long filled its index cache with what IMAP clients fetch; one
        # whole copy first fills it here, so that the timed copy is not also building it.
        timed(*imap(users["warm-imap"], conf))
        seconds = {}
        for role, command in (("floor", floor(users["floor"], "old@bench")), ("imap", imap(users["imap"], conf)),
                              ("links", floor(users["links"], "old@bench", links=True))):
            sh("sync")  # each row starts with nothing left to write back
            seconds[role] = timed(*command)
        load.append(os.getloadavg()[0])

    problems = [] if FOLDER in old else [f"the old server lists no folder {FOLDER}"]
    for role in ("floor", "imap", "links"):
        new = status(users[role])  # {folder: (messages, vsize)}, the same on both sides or a problem
        problems += [f"{role}: {name} has {new.get(name)} against the old server's {old.get(name)}"
                     for name in sorted(set(old) | set(new)) if new.get(name) != old.get(name)]
    if not args.keep:
        podman("rm", "--force", CONTAINER)

    messages, size = (sum(column) for column in zip(*old.values()))
    rate = {role: messages / s for role, s in seconds.items()}
    ratio = rate["imap"] / rate["floor"]
    print(f"old server: {messages} messages, {size:,} bytes as IMAP counts them (vsize), {store / 2**20:.0f} MiB "
          f"on disk; folders {', '.join(f'{k} {n}' for k, (n, _) in sorted(old.items()))}; "
          f"'{FOLDER}' is '{on_disk}' on disk")
    print(f"load average (1 min) {load[0]:.2f} before, {load[1]:.2f} after; other containers: "
          f"{', '.join(others) or 'none'}")
    print("| row | seconds | messages/s | MiB/s |\n| --- | ---: | ---: | ---: |")
    for role, label in ROWS.items():
        print(f"| {label} | {seconds[role]:.1f} | {rate[role]:.0f} | {size / 2**20 / seconds[role]:.0f} |")
    print("| ratio | measured | goal |\n| --- | ---: | --- |")
    print(f"| IMAP copy / floor, messages per second | {ratio:.2f} "
          f"| at least 0.50: {'met' if ratio >= 0.5 else 'not met'} |")
    print("counts: " + ("every folder has the old server's messages and bytes in all three copies" if not problems
                        else "; ".join(problems)))
    return 0 if ratio >= 0.5 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
