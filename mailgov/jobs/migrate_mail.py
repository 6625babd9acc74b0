"""Copy every imported account's mail from the old IMAP server with Dovecot's own engine, and verify it.

Run on the mail server, as root, by playbooks/migrate-mail.yml (or by hand, in a terminal, to watch
the bars):

    python3 -m mailgov.jobs.migrate_mail --config /etc/mailgov/migrate-mail.json

Per account: the old server's folders are counted over IMAP (``doveadm ... mailbox status`` on
``imapc:``), a mailbox that cannot fit its new quota is refused, ``doveadm sync -1 -R`` copies
what is new (folders, flags, keywords, internal dates, UIDs), and every folder is compared on both
sides. A failed copy is tried again, then reported, never taken for complete. Prints the results as
JSON; the progress goes to the terminal and to the log. The decisions are in ``mailgov.mail_copy``.
"""

import argparse
import csv
import getpass
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from mailgov import mail_copy, private_json
from mailgov.errors import DirectoryError
from mailgov.ldap import Connection

DOVECOT_CONF = "/etc/dovecot/dovecot.conf"
STATUS = ["-f", "json", "mailbox", "status"]


class Progress:
    """One line per account and one for the whole run, redrawn on a terminal, appended to the log."""

    def __init__(self, total, log):
        self.total, self.log, self.lock = total, log, threading.Lock()
        self.done, self.messages, self.expected = 0, 0, 0
        self.tty = sys.stderr.isatty()

    def line(self, text, final=False):
        with self.lock:
            if self.tty:
                sys.stderr.write("\r\x1b[K" + text + ("\n" if final else ""))
                sys.stderr.flush()
            if final or not self.tty:
                self.log.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + text + "\n")
                self.log.flush()

    def account(self, user, copied, expected, final=False):
        self.line(f"{user}: {mail_copy.bar(copied, expected)} {copied}/{expected} messages", final)

    def finished(self, result):
        with self.lock:
            self.done += 1
        self.line(f"all: {mail_copy.bar(self.done, self.total)} {self.done}/{self.total} accounts "
                  f"({result['user']}: {result['result']})", final=True)


def doveadm(args, conf=None, check=True):
    command = ["doveadm"] + (["-c", conf] if conf else []) + args
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode:
        raise RuntimeError(done.stderr)
    return done


def status(user, conf=None):
    args = (["-o", "mail_driver=imapc", "-o", "mail_path="] if conf else []) + STATUS + ["-u", user,
                                                                                       "messages vsize", "*"]
    return mail_copy.folders(json.loads(doveadm(args, conf).stdout or "[]"), decode=conf is not None)


def _watch(user, before, expected, progress, stop):
    while not stop.wait(2):
        try:
            now = sum(n for n, _ in status(user).values())
        except (RuntimeError, ValueError):
            continue
        progress.account(user, max(now - before, 0), expected)


def copy_account(account, source, version, attempts, progress, tmp):
    user, login = account["user"], account["login"]
    result = {"user": user, "login": login, "result": "failed", "problems": [], "folders": []}
    conf = os.path.join(tmp, f"{abs(hash(user))}.conf")
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(mail_copy.imapc_config(source, login, account["password"], version, DOVECOT_CONF))
    try:
        old = status(user, conf)
    except RuntimeError as err:
        result["problems"].append(mail_copy.explain(str(err), login, source))
        return result
    new = status(user)
    too_big = mail_copy.over_quota(old, new, account.get("quota"))
    if too_big:
        result.update(result="over-quota", problems=[too_big], folders=mail_copy.compare(old, new)[0])
        return result
    before = sum(n for n, _ in new.values())
    expected = max(sum(n for n, _ in old.values()) - before, 0)
    for attempt in range(1, attempts + 1):
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(user, before, expected, progress, stop), daemon=True)
        watcher.start()
        done = doveadm(["-o", "mail_plugins/quota=no", "sync", "-1", "-R", "-u", user, "imapc:"], conf, check=False)
        stop.set()
        watcher.join()
        new = status(user)
        result["folders"], mismatches = mail_copy.compare(old, new)
        result["copied"] = sum(n for n, _ in new.values()) - before
        progress.account(user, result["copied"], expected, final=True)
        if done.returncode == 0 and not mismatches:
            result.update(result="complete", problems=[], attempts=attempt)
            return result
        result["problems"] = ([mail_copy.explain(done.stderr, login, source)] if done.returncode else []) + mismatches
    result["result"] = "incomplete"
    return result


def accounts_to_copy(config):
    """Who to copy: every account the import brought (old login -> id), found in the directory."""
    imported = private_json.read(config["accounts_file"])
    only = set(config.get("only") or [])
    passwords = {}
    if config.get("passwords_file"):
        with open(config["passwords_file"], encoding="utf-8", newline="") as handle:
            passwords = {row[0].strip().lower(): row[1] for row in csv.reader(handle) if len(row) >= 2}
    conn = Connection()
    found = []
    for login, ident in sorted(imported.items()):
        if only and login not in only:
            continue
        entries = conn.search(config["base_dn"], "sub", f"(&(objectClass=mailAccount)(uid={ident}))",
                              ["mail", "mailQuota"])
        entry = next(iter(entries.values()), None)
        password = config.get("master_password") if config.get("master_user") else passwords.get(login)
        found.append({"login": login, "id": ident, "password": password,
                      "user": entry["mail"][0] if entry else None,
                      "quota": int(entry["mailQuota"][0]) if entry and entry.get("mailQuota") else None})
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    if config.get("master_user"):
        config["master_password"] = _master_password(config)
    try:
        accounts = accounts_to_copy(config)
    except (OSError, ValueError, DirectoryError) as err:
        sys.exit(f"mailgov.jobs.migrate_mail: {err}")
    version = _version()
    results = [{"user": a["login"], "login": a["login"], "result": "failed",
                "problems": [f"{a['id']} is not in the directory: run playbooks/accounts.yml with the imported roster"]}
               for a in accounts if not a["user"]]
    results += [{"user": a["user"], "login": a["login"], "result": "failed",
                 "problems": [f"no password for {a['login']} in migrate_passwords_file, and no migrate_master_user"]}
                for a in accounts if a["user"] and not a["password"]]
    todo = [a for a in accounts if a["user"] and a["password"]]
    os.makedirs(os.path.dirname(config["log"]), exist_ok=True)
    with open(config["log"], "a", encoding="utf-8") as log, tempfile.TemporaryDirectory(prefix="mailgov-migrate-") as tmp:
        progress = Progress(len(accounts), log)
        for result in results:
            progress.finished(result)

        def one(account):
            try:
                result = copy_account(account, config["source"], version, int(config.get("attempts") or 2),
                                      progress, tmp)
            except (RuntimeError, ValueError) as err:  # the new mailbox could not be read: reported, not fatal
                result = {"user": account["user"], "login": account["login"], "result": "failed",
                          "problems": [f"the new mailbox cannot be read: {str(err).strip()[-300:]}"]}
            progress.finished(result)
            return result

        with ThreadPoolExecutor(max_workers=int(config.get("parallel") or 2)) as pool:
            results += list(pool.map(one, todo))
    results.sort(key=lambda r: r["user"])
    outcome = {"accounts": results, "report": mail_copy.report(results),
               "complete": all(r["result"] == "complete" for r in results)}
    if config.get("report_dir"):  # each run's report stays on the server
        os.makedirs(config["report_dir"], mode=0o700, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        with open(os.path.join(config["report_dir"], f"report-{stamp}.txt"), "w", encoding="utf-8") as handle:
            handle.write(outcome["report"] + "\n")
        with open(os.path.join(config["report_dir"], f"report-{stamp}.json"), "w", encoding="utf-8") as handle:
            json.dump(outcome, handle, ensure_ascii=False, indent=1)
    print(json.dumps(outcome, ensure_ascii=False))


def _master_password(config):
    """From the file the playbook writes for its run; asked for when the job is run by hand."""
    try:
        with open(config["master_password_file"], encoding="utf-8") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        if sys.stdin.isatty():
            return getpass.getpass(f"Password of {config['master_user']} on the old server: ")
        raise SystemExit(f"mailgov.jobs.migrate_mail: {config['master_password_file']} is missing") from None


def _version():
    with open(DOVECOT_CONF, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("dovecot_config_version"):
                return line.split("=", 1)[1].strip()
    raise SystemExit(f"mailgov.jobs.migrate_mail: {DOVECOT_CONF} names no dovecot_config_version")


if __name__ == "__main__":
    main()
