"""Copying mailboxes from an old IMAP server with Dovecot's dsync: the decisions, as pure functions.

``mailgov.jobs.migrate_mail`` runs ``doveadm sync -1 -R`` per account against ``imapc:`` (one-way,
from the old server; a second run copies only what is new, and never removes what arrived on the
new server since), then compares every folder on both sides. Everything that decides lives here:
the configuration each run reads, what an error means, whether a mailbox is complete, the report.
"""

import base64
import re

# What doveadm says when the old server turns the login away.
_AUTH = re.compile(r"authentication failed|authenticationfailed|auth.*failed|login.*(refused|failed)", re.I)
_CONNECT = re.compile(r"connect\(.*\) failed|connection refused|timed out|no route|name or service", re.I)
_MUTF7 = re.compile(r"&([^-]*)-")


def mutf7_decode(name):
    """A mailbox name as IMAP sends it (modified UTF-7, RFC 3501) in Unicode: 'C&APQ-ng' -> 'Công'."""
    def one(match):
        if not match.group(1):
            return "&"
        data = match.group(1).replace(",", "/")
        return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
    return _MUTF7.sub(one, name)


def _setting(value):
    # Dovecot settings take a value to the end of the line; quotes keep spaces and '#'.
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def imapc_config(source, login, password, version, dovecot_conf="/etc/dovecot/dovecot.conf"):
    """The configuration one account's copy runs with: the server's own, and the old server to read.

    ``version`` is the server's dovecot_config_version, which Dovecot 2.4 wants as the first setting
    of any file it reads. Written to a file only root can read, since it holds the password (a
    command line would show it to every user of the host)."""
    ssl = source.get("ssl") or "starttls"
    lines = [f"dovecot_config_version = {version}",
             f"dovecot_storage_version = {version}",
             f"!include {dovecot_conf}",
             f"imapc_host = {source['host']}",
             f"imapc_port = {int(source.get('port') or (993 if ssl == 'imaps' else 143))}",
             f"imapc_ssl = {ssl}",
             f"ssl_client_require_valid_cert = {'yes' if source.get('ssl_verify', True) else 'no'}",
             f"imapc_user = {_setting(login)}",
             f"imapc_password = {_setting(password)}"]
    if source.get("master_user"):
        lines.append(f"imapc_master_user = {_setting(source['master_user'])}")
    return "\n".join(lines) + "\n"


def explain(stderr, login, source):
    """What went wrong, for the operator, from doveadm's error output (which never holds the password)."""
    if _AUTH.search(stderr):
        who = f"{source['master_user']} for {login}" if source.get("master_user") else login
        return (f"the old server refused the login of {who}: check migrate_master_user and its password, "
                "or the account's line in migrate_passwords_file")
    if _CONNECT.search(stderr):
        return f"cannot reach the old server {source['host']}:{source.get('port') or 143}: check the address and ports"
    lines = [line for line in stderr.splitlines() if "Error" in line or "Fatal" in line]
    return (lines[-1] if lines else stderr.strip().splitlines()[-1] if stderr.strip() else "doveadm failed").strip()


def folders(status, decode=False):
    """{folder: (messages, vsize)} from ``doveadm -f json mailbox status`` output (a list of mappings)."""
    result = {}
    for row in status:
        name = mutf7_decode(row["mailbox"]) if decode else row["mailbox"]
        result[name] = (int(row.get("messages") or 0), int(row.get("vsize") or 0))
    return result


def compare(old, new):
    """Each folder of the old server against the new: (rows, mismatches). A folder is complete when the
    new server has at least as many messages and bytes (more: mail that arrived there since)."""
    rows, mismatches = [], []
    for name in sorted(old):
        messages, size = old[name]
        have, have_size = new.get(name, (None, None))
        rows.append({"folder": name, "old_messages": messages, "old_bytes": size,
                     "new_messages": have, "new_bytes": have_size})
        if have is None:
            mismatches.append(f"{name}: missing on the new server ({messages} messages)")
        elif have < messages or have_size < size:
            mismatches.append(f"{name}: {have} of {messages} messages, {have_size} of {size} bytes")
    return rows, mismatches


def over_quota(old, new, quota):
    """Why what is left to copy does not fit the new mailbox's quota beside what it holds, or None."""
    missing = sum(max(size - new.get(name, (0, 0))[1], 0) for name, (_, size) in old.items())
    total = sum(size for _, size in new.values()) + missing
    if quota and total > quota:
        held = sum(size for _, size in old.values())
        return (f"holds {_human(held)} on the old server, and the new mailbox would hold {_human(total)}, over its "
                f"new quota of {_human(quota)}: raise its quota in the roster (quota:) and run "
                "playbooks/accounts.yml, or clean up on the old server")
    return None


def _human(size):
    for unit, power in (("GiB", 3), ("MiB", 2), ("KiB", 1)):
        if size >= 1024**power:
            return f"{size / 1024 ** power:.1f} {unit}"
    return f"{size} B"


def bar(done, total, width=24):
    """A progress bar as text: '[██████░░░░░░]  50%'."""
    share = 1.0 if not total else min(done / total, 1.0)
    filled = int(round(share * width))
    return f"[{'█' * filled}{'░' * (width - filled)}] {share * 100:3.0f}%"


def report(results):
    """The verification report: per account and folder, both servers' counts and sizes, each mismatch."""
    lines = []
    for account in results:
        lines.append(f"{account['user']} (from {account['login']}): {account['result']}"
                     + (f", {account['copied']} messages copied" if account.get("copied") is not None else ""))
        for row in account.get("folders", []):
            lines.append(f"  {row['folder']}: old {row['old_messages']} messages {row['old_bytes']} B, "
                         f"new {row['new_messages'] if row['new_messages'] is not None else '-'} messages "
                         f"{row['new_bytes'] if row['new_bytes'] is not None else '-'} B")
        lines += [f"  ! {problem}" for problem in account.get("problems", [])]
    complete = sum(1 for a in results if a["result"] == "complete")
    lines.append(f"{complete} of {len(results)} accounts complete")
    return "\n".join(lines)
