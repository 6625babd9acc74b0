"""Putting a restored Maildir home back into the live one: what is there stays.

Used by the backup job's restore (roles/backup/files/mailgov-backup); file operations (and
Dovecot's resync), so that the rules are tested on a temporary directory.
"""

import os
import pwd
import shutil
import subprocess
from pathlib import Path

# Maildir folders hold messages in cur/ and new/; tmp/ holds deliveries in progress.
MESSAGE_DIRS = ("cur", "new")
# Dovecot rebuilds its index caches; a restored one would describe other messages.
DOVECOT_CACHES = ("dovecot.index", "dovecot.index.cache", "dovecot.index.log", "dovecot.index.log.2")


def message_key(name):
    """A Maildir message's unique name, without the flags Dovecot appends (":2,S")."""
    return name.split(":", 1)[0]


def merge_maildir(source, target, overwrite=False):
    """Move what `source` (a restored mailbox home) holds into `target` (the live one).

    A message already in the target folder (same unique name, in cur/ or new/, any flags) is
    left alone unless overwrite; so are other files (uidlist, keywords, subscriptions, Sieve).
    Dovecot's index caches are never restored over: Dovecot rebuilds them. Returns counts.
    """
    source, target = Path(source), Path(target)
    counts = {"restored": 0, "kept": 0, "replaced": 0}
    present = {}  # folder -> {key: [paths]}

    def existing(folder):
        if folder not in present:
            keys = {}
            for sub in MESSAGE_DIRS:
                directory = folder / sub
                if directory.is_dir():
                    for entry in os.scandir(directory):
                        keys.setdefault(message_key(entry.name), []).append(Path(entry.path))
            present[folder] = keys
        return present[folder]

    for root, dirs, files in os.walk(source):
        dirs.sort()
        relative = Path(root).relative_to(source)
        if relative.name == "tmp":
            continue
        for name in sorted(files):
            src = Path(root) / name
            dst = target / relative / name
            if relative.name in MESSAGE_DIRS:
                wanted = take_message(existing(target / relative.parent), name, dst, overwrite, counts)
            else:
                wanted = take_file(name, dst, overwrite)
            if wanted:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(src, dst)
    return counts


def take_message(keys, name, dst, overwrite, counts):
    """Whether a restored message goes to `dst`; `keys` are the folder's messages ({key: [paths]}).

    The live copy (any flags, in cur/ or new/) stays unless overwrite, which removes it first.
    """
    key = message_key(name)
    if key in keys:
        if not overwrite:
            counts["kept"] += 1
            return False
        for old in keys[key]:
            old.unlink(missing_ok=True)
        counts["replaced"] += 1
    else:
        counts["restored"] += 1
    keys[key] = [dst]
    return True


def take_file(name, dst, overwrite):
    """Whether a restored file other than a message goes to `dst`: not over a live file unless
    overwrite (which removes it first), and never over Dovecot's index caches."""
    if name in DOVECOT_CACHES and dst.exists():
        return False
    if dst.exists() or dst.is_symlink():
        if not overwrite:
            return False
        dst.unlink()
    return True


def chown_tree(path, user):
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def restore_mail(live_root, vmail_user, staged_root, only, overwrite, log=print):
    """Merge every restored mailbox (or the one in `only`) into the live mail root, owned by vmail_user."""
    mailboxes = sorted(p for p in staged_root.glob("*/*") if p.is_dir()) if staged_root.is_dir() else []
    if only is not None:
        mailboxes = [p for p in mailboxes if p.relative_to(staged_root) == only.relative_to(live_root)]
    totals = {"mailboxes": 0, "restored": 0, "kept": 0, "replaced": 0}
    for staged in mailboxes:
        relative = staged.relative_to(staged_root)
        live = live_root / relative
        counts = merge_maildir(staged, live, overwrite)
        chown_tree(live, vmail_user)
        address = f"{relative.name}@{relative.parent.name}"
        # The user may be unknown (recalled) or Dovecot down: the files are in place anyway.
        resync = subprocess.run(["doveadm", "force-resync", "-u", address, "*"], capture_output=True, text=True,
                                check=False)
        if resync.returncode != 0:
            log(f"note: doveadm force-resync for {address} said: {resync.stderr.strip()}")
        log(f"{address}: {counts['restored']} messages restored, {counts['kept']} already there, "
            f"{counts['replaced']} replaced")
        totals["mailboxes"] += 1
        for key in counts:
            totals[key] += counts[key]
    return totals
