#!/usr/bin/env python3
"""Backing up a mail store with the backup role: a first backup, a second after 1 % new mail, a restore.

Stands up a container `mailgov-bench-backup` with the whole server (playbooks/site.yml with the
demo inventory: its only repository is the local one), writes a seeded mail store of 10,000
messages straight into Maildirs (40 mailboxes; most messages a few KB of Vietnamese text, one in
ten with an attachment of 100-400 KB, one in a hundred with 2 MB), then times, in the same run:
  1. the first backup (`systemctl start mailgov-backup.service`: slapcat, then restic);
  2. the same after adding 1 % new messages;
  3. restoring the whole mail store of the latest snapshot into a scratch path
     (`mailgov-backup restore --what all --target ...`), and counts the restored messages.
Goal: (2) takes at most a quarter of (1). (3) is recorded.

    .venv/bin/python bench/backup.py [--messages 10000] [--keep]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from messages import MESSAGE  # bench/messages.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
CONTAINER = "mailgov-bench-backup"
INVENTORY = f"""
mailservers:
  hosts:
    {CONTAINER}:
      ansible_connection: containers.podman.podman
      ansible_python_interpreter: /usr/bin/python3
"""

# Runs in the container: writes COUNT messages numbered from FIRST, seeded by their number.
WRITER = MESSAGE + r'''
import os, pwd, sys
first, count = int(sys.argv[1]), int(sys.argv[2])
vmail = pwd.getpwnam("vmail")
root = "/var/vmail/gialai.gov.vn"
for n in range(first, first + count):
    box = f"{root}/hopthu{n % 40:02d}/Maildir"
    text = message(n, f"hopthu{n % 40:02d}@gialai.gov.vn")
    for path in (root, box[:-8], box, *(f"{box}/{sub}" for sub in ("cur", "new", "tmp"))):
        if not os.path.isdir(path):
            os.mkdir(path, 0o700)
            os.chown(path, vmail.pw_uid, vmail.pw_gid)
    # As Dovecot delivers: a new file each, owned by vmail; nothing else is touched.
    name = f"{box}/cur/{1780000000 + n}.M{n}P1.mail.gialai.gov.vn:2,S"
    with open(name, "w", encoding="utf-8") as out:
        out.write(text)
    os.chown(name, vmail.pw_uid, vmail.pw_gid)
'''


def run(command, **kwargs):
    return subprocess.run(command, check=True, cwd=ROOT, **kwargs)


def podman(*args, capture=False):
    result = run(["podman", *args], capture_output=capture, text=True)
    return result.stdout if capture else None


def timed(*command):
    start = time.perf_counter()
    podman("exec", CONTAINER, *command)
    return time.perf_counter() - start


def start_container():
    if subprocess.run(["podman", "container", "exists", CONTAINER], check=False).returncode != 0:
        podman("run", "--detach", "--name", CONTAINER, "--hostname", "mail.gialai.gov.vn", "--systemd=always",
               "localhost/mailgov-base:trixie", "/sbin/init")
    for _ in range(60):
        state = subprocess.run(["podman", "exec", CONTAINER, "systemctl", "is-system-running"],
                               capture_output=True, text=True, check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--keep", action="store_true", help="keep the container afterwards")
    args = parser.parse_args()
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    added = max(1, args.messages // 100)

    start_container()
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "inventory.yml"
        inventory.write_text(INVENTORY, encoding="utf-8")
        print("setting up the server in", CONTAINER, file=sys.stderr)
        run([str(ROOT / ".venv/bin/ansible-playbook"), "-i", "inventories/demo", "-i", str(inventory),
             "--limit", CONTAINER, "playbooks/site.yml", "-e", f"accounts_password_dir={tmp}/passwords"],
            stdout=subprocess.DEVNULL, env=env)

    # A clean slate: no earlier bench mail, an empty repository.
    podman("exec", CONTAINER, "bash", "-c",
           "rm -rf /var/vmail/gialai.gov.vn/hopthu* /var/tmp/bench-restore /var/backups/mailgov/restic "
           "/var/cache/mailgov-backup/* && mailgov-backup init >/dev/null")
    print(f"writing {args.messages} messages", file=sys.stderr)
    podman("exec", CONTAINER, "python3", "-c", WRITER, "0", str(args.messages))
    podman("exec", CONTAINER, "sync")
    store = podman("exec", CONTAINER, "du", "-sm", "/var/vmail", capture=True).split()[0]

    first = timed("systemctl", "start", "mailgov-backup.service")
    podman("exec", CONTAINER, "python3", "-c", WRITER, str(args.messages), str(added))
    podman("exec", CONTAINER, "sync")
    second = timed("systemctl", "start", "mailgov-backup.service")
    restore = timed("mailgov-backup", "restore", "--what", "all", "--target", "/var/tmp/bench-restore")
    restored = int(podman("exec", CONTAINER, "bash", "-c",
                          "find /var/tmp/bench-restore/var/vmail/gialai.gov.vn/hopthu*/Maildir/cur -type f | wc -l",
                          capture=True))
    repository = podman("exec", CONTAINER, "du", "-sm", "/var/backups/mailgov/restic", capture=True).split()[0]

    if not args.keep:
        podman("rm", "--force", CONTAINER, capture=True)
    total = args.messages + added
    print(f"mail store: {args.messages} messages, {store} MiB; repository after both backups: {repository} MiB")
    print("| run | seconds | of the first backup |")
    print("| --- | ---: | ---: |")
    print(f"| first backup, {args.messages} messages | {first:.1f} | 1.00 |")
    print(f"| second backup, {added} new messages (1 %) | {second:.1f} | {second / first:.2f} |")
    print(f"| restore of the whole mail store ({restored} of {total} messages) into a scratch path "
          f"| {restore:.1f} | {restore / first:.2f} |")
    print(f"the second backup takes {second / first:.3f} of the first (goal: at most 0.25)")
    return 0 if second <= first / 4 and restored == total else 1


if __name__ == "__main__":
    sys.exit(main())
