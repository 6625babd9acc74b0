#!/usr/bin/python3
"""mailgov-lifecycle: apply the regulation's periods to the accounts of the directory.

Installed as /usr/local/sbin/mailgov-lifecycle and run daily by mailgov-lifecycle.timer;
playbooks/lifecycle.yml runs the same program. For each account, from the directory
(pwdChangedTime, pwdReset, createTimestamp, mailStatus) and Dovecot's last-login record:

- recall after `recall_unused_days` without use (unit mailboxes: `unit_unused_recall_days`):
  the account is marked recalled (it receives no more mail), its mailbox is archived with the
  archive command and removed only when that command succeeded;
- lock after `lock_unused_days` without use, or when the initial password was not changed
  within `initial_password_grace_days`; a locked account still receives mail;
- mail a reminder, in Vietnamese, `expire_warning_days` before the password expires;
- end the forward of the old addresses of a person moved to another unit (`mailForward`) once
  `mailForwardUntil` has come: mail to them is refused from then on. They stay reserved.

Each mail domain of the server has its own rules: the roster's own domain (`domain`, `rules`,
`sender`) and each hosted one (`hosted`: domain -> rules), each in its branch of the directory.

"Use" is the last login; an account never logged in counts from its creation or its last
password change. Accounts the roster itself locked or recalled are left to the roster, and so
are an administrator's locks. The rules are mailgov.lifecycle's, the account states and their
transitions mailgov.state's (the roster sync uses the same); `reopen` obeys the policy's
reopen_wait_days, counted from the day of the lock.
Every action is logged with its reason (to the journal); --dry-run only says what would be done.

    mailgov-lifecycle [--dry-run] [--json] [--now 2025-10-01T08:00] [--account ADDRESS ...]
    mailgov-lifecycle reopen ADDRESS < new-initial-password
    mailgov-lifecycle reset ADDRESS --reference "Phiếu yêu cầu số 12, 02/12/2026" < new-initial-password

`reset` gives a forgotten, expired or failure-locked password a new initial password; it is
recorded, with the reference of the written request, in the journal and in the state
directory's requests.jsonl.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import syslog
from pathlib import Path

try:
    from mailgov import hosting, notify
    from mailgov import state as states
    from mailgov.errors import DirectoryError, TransitionError
    from mailgov.ldap import Connection
    from mailgov.lifecycle import decide, forward_ended, last_login, normalise, parse_last_logins
    from mailgov.state import ldap_time
except ImportError as err:
    sys.exit(f"mailgov-lifecycle: the mailgov package is missing ({err}): run playbooks/site.yml "
             "(role mailgov_package)")

CONFIG = "/etc/mailgov/lifecycle.json"
UTC = datetime.timezone.utc
ATTRS = ["uid", "mail", "mailKind", "mailStatus", "mailStatusReason", "mailStatusChanged", "mailUnit",
         "pwdAccountLockedTime", "pwdChangedTime", "pwdReset", "createTimestamp", "displayName",
         "mailStorage", "mailFormerAddress", "mailForward", "mailForwardUntil"]


class Failure(Exception):
    """An action that could not be carried out; the others go on."""


def parse_now(text):
    """--now: an ISO date or date and time, local time unless it says otherwise."""
    if not text:
        return datetime.datetime.now(UTC)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"mailgov-lifecycle: --now {text!r} is not a date such as 2025-10-01 "
                         "or 2025-10-01T08:00") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC)


def reminder(account, now, rules, sender, sender_name, tz_name=None):
    """The Vietnamese reminder that a password expires soon."""
    expires = account["password_changed"] + datetime.timedelta(days=rules["max_age_days"])
    local = expires.astimezone()
    left = max(1, -(-int((expires - now).total_seconds()) // 86400))
    values = {"name": account["name"], "address": account["address"], "date": f"{local:%d/%m/%Y}", "left": left,
              "max_age_days": rules["max_age_days"]}
    return notify.render("password-expiry", values, sender=sender, sender_name=sender_name,
                         to=account["address"], to_name=account["name"])


class Job:
    def __init__(self, config, now, dry_run, log):
        self.config = config
        self.now = now
        self.dry_run = dry_run
        self.log = log
        self.conn = None
        self.actions = []
        self.failed = 0

    # The directory, as root over ldapi:/// (SASL EXTERNAL).
    def connect(self):
        try:
            self.conn = Connection(self.config.get("ldap_uri", "ldapi:///"))
        except DirectoryError as err:
            raise SystemExit(f"mailgov-lifecycle: {err}") from None

    def domains(self):
        """Each domain's (name, rules, sender of its reminders), the roster's own first."""
        config = self.config
        yield config["domain"], config["rules"], config["sender"]
        for name, rules in (config.get("hosted") or {}).items():
            yield name, rules, f"postmaster@{name}"

    def accounts(self):
        found = []
        for name, rules, sender in self.domains():
            for ou in ("people", "mailboxes"):
                base = f"ou={ou},{hosting.domain_dn(name, self.config['base_dn'])}"
                try:
                    entries = self.conn.search(base, "one", "(objectClass=mailAccount)", ATTRS)
                except DirectoryError as err:
                    raise SystemExit(f"mailgov-lifecycle: {err}") from None
                for dn, entry in entries.items():
                    account = normalise(entry)
                    account.update(dn=dn, rules=rules, sender=sender)
                    found.append(account)
        return found

    def write(self, account, change):
        """A transition of mailgov.state, written at once (each account's failure is its own)."""
        if not self.dry_run and change.mods:
            self.conn.modify(account["dn"], change.mods)
            self.conn.flush()

    # Files.
    def last_logins(self):
        path = Path(self.config["last_login_file"])
        try:
            return parse_last_logins(path.read_text(encoding="utf-8", errors="replace"))
        except FileNotFoundError:
            return {}

    def maildir(self, address):
        root = Path(self.config["mail_root"]).resolve()
        local, _, domain = address.partition("@")
        path = (root / domain / local).resolve()
        if root not in path.parents or not local or "/" in local or local.startswith("."):
            raise Failure(f"{address}: refusing an unexpected mailbox path {path}")
        return path

    def state(self):
        path = Path(self.config["state_dir"]) / "reminders.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def save_state(self, state):
        path = Path(self.config["state_dir"]) / "reminders.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    # Actions.
    def record(self, account, action, reason, detail, outcome="done"):
        verb = "would " + action if self.dry_run else action
        self.actions.append({"address": account["address"], "uid": account["uid"], "action": action,
                             "reason": reason, "detail": detail, "outcome": "dry-run" if self.dry_run else outcome})
        if outcome == "failed":
            self.log(syslog.LOG_ERR, f"{account['address']}: {action} failed: {detail}")
        else:
            self.log(syslog.LOG_NOTICE, f"{account['address']}: {verb} ({reason}): {detail}")

    def lock(self, account, reason, detail):
        self.write(account, states.lock_by_job(account, reason, self.now))
        self.record(account, "lock", reason, detail + "; the account still receives mail")

    def recall(self, account, reason, detail):
        # Marked recalled first, so that no mail arrives between the archive and the removal.
        self.write(account, states.recall_by_job(account, reason, self.now))
        self.record(account, "recall", reason, detail)
        account.update(status="recalled", reason=reason, by=states.JOB)

    def end_forward(self, account, detail):
        self.write(account, states.end_forward(account, self.now))
        self.record(account, "end forward", "transfer-period", detail)

    def archive_and_remove(self, account):
        """The mailbox of an account this job recalled: archived, then removed; kept if archiving fails.

        The archive command gets the address the mailbox was made with (mailStorage), which names
        it on disk, also after a transfer gave its owner a new address."""
        path = self.maildir(account["storage"])
        if not path.exists():
            return
        command = self.config["archive_command"]
        if self.dry_run:
            self.record(account, "archive and remove", "recalled", f"{command} {account['storage']}, then remove {path}")
            return
        try:
            done = subprocess.run([command, account["storage"]], capture_output=True, text=True,
                                  timeout=self.config.get("archive_timeout", 3600), check=False)
            ok, why = done.returncode == 0, f"exit status {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}"
        except (OSError, subprocess.TimeoutExpired) as err:
            ok, why = False, str(err)
        if not ok:
            self.failed += 1
            self.record(account, "archive", "recalled",
                        f"{command} failed ({why}); the mailbox {path} is kept and archiving is retried at the next run",
                        outcome="failed")
            return
        shutil.rmtree(path)
        self.record(account, "archive and remove", "recalled", f"archived with {command}, then removed {path}")

    def remind(self, account, reason, detail, state):
        key = account["uid"]
        stamp = ldap_time(account["password_changed"])
        if state.get(key) == stamp:
            return  # already reminded of this password's expiry
        if not self.dry_run:
            message = reminder(account, self.now, account["rules"], account["sender"], self.config["sender_name"])
            try:
                notify.send(message, account["sender"], [account["address"]],
                            sendmail=self.config.get("sendmail", notify.SENDMAIL))
            except notify.SendError as err:
                self.failed += 1
                self.record(account, "remind", reason, str(err), outcome="failed")
                return
            state[key] = stamp
        self.record(account, "remind", reason, detail + "; reminder mailed in Vietnamese")

    def apply_rules(self, account, logins, state):
        ended = forward_ended(account, self.now)
        if ended:
            self.end_forward(account, ended)
        actions = {"recall": self.recall, "lock": self.lock}
        for action, reason, detail in decide(account, last_login(account, logins), self.now, account["rules"]):
            if action == "remind":
                self.remind(account, reason, detail, state)
            else:
                actions[action](account, reason, detail)
        if states.archived_by_job(account):
            self.archive_and_remove(account)

    def run(self, only):
        self.connect()
        logins = self.last_logins()
        state = self.state()
        reminded = dict(state)
        for account in sorted(self.accounts(), key=lambda a: a["address"]):
            if only and account["address"] not in only:
                continue
            try:
                self.apply_rules(account, logins, state)
            except (Failure, OSError, DirectoryError, TransitionError) as err:
                self.failed += 1
                self.record(account, "lifecycle", "error", str(err), outcome="failed")
        if state != reminded and not self.dry_run:
            self.save_state(state)

    def reopen(self, address, password):
        """Unlock an account this job or an administrator locked, with a new initial password,
        once the policy's reopen_wait_days have passed since the lock (mailgov.state.reopen)."""
        self.connect()
        found = [a for a in self.accounts() if a["address"] == address]
        if not found:
            raise SystemExit(f"mailgov-lifecycle: no account has the address {address}")
        account = found[0]
        try:
            change = states.reopen(account, self.now, account["rules"].get("reopen_wait_days") or 0, password)
            self.write(account, change)
        except (TransitionError, DirectoryError) as err:
            raise SystemExit(f"mailgov-lifecycle: {err}") from None
        self.record(account, "reopen", account["reason"] or account["status"],
                    "new initial password, to be changed at the next login")


    def reset(self, address, password, reference):
        """A new initial password for a forgotten, expired or failure-locked one (mailgov.state.reset_password)."""
        self.connect()
        found = [a for a in self.accounts() if a["address"] == address]
        if not found:
            raise SystemExit(f"mailgov-lifecycle: no account has the address {address}")
        account = found[0]
        try:
            change = states.reset_password(account, password)
            self.write(account, change)
        except (TransitionError, DirectoryError) as err:
            raise SystemExit(f"mailgov-lifecycle: {err}") from None
        self.record(account, "reset", reference, change.reason)
        self.keep_request(account, "reset", reference)

    def keep_request(self, account, action, reference):
        """The written request a change rests on, one JSON line each, kept with the job's state."""
        if self.dry_run:
            return
        line = {"time": ldap_time(self.now), "address": account["address"], "uid": account["uid"],
                "action": action, "reference": reference}
        path = Path(self.config["state_dir"]) / "requests.jsonl"
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mailgov-lifecycle", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "reopen", "reset"])
    parser.add_argument("address", nargs="?", help="reopen, reset: the account's address")
    parser.add_argument("--reference", help="reset: the written request (its number, date, who made it)")
    parser.add_argument("--config", default=CONFIG)
    parser.add_argument("--now", help="the time the rules are applied at, for tests and catching up")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
    parser.add_argument("--json", action="store_true", help="print the actions as JSON")
    parser.add_argument("--account", action="append", default=[], help="only this address (repeatable)")
    parser.add_argument("--archive-command", help="instead of the configured one")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    if args.archive_command:
        config["archive_command"] = args.archive_command

    # Under systemd stdout is already the journal; elsewhere actions go to it through syslog.
    to_journal = not os.environ.get("JOURNAL_STREAM")
    syslog.openlog("mailgov-lifecycle", 0, syslog.LOG_MAIL)

    def log(priority, text):
        if to_journal and not args.dry_run:
            syslog.syslog(priority, text)
        if not args.json:
            print(text, flush=True)

    job = Job(config, parse_now(args.now), args.dry_run, log)
    if args.command in ("reopen", "reset"):
        if not args.address:
            parser.error(f"{args.command} needs the account's address")
        if args.command == "reset" and not (args.reference or "").strip():
            parser.error("reset needs --reference: the written request it rests on")
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            parser.error(f"{args.command} reads the new initial password from standard input")
        if args.command == "reopen":
            job.reopen(args.address.lower(), password)
        else:
            job.reset(args.address.lower(), password, args.reference.strip())
    else:
        job.run({a.lower() for a in args.account})
        if not args.json:
            print(f"{len(job.actions)} actions, {job.failed} failed, at {job.now:%Y-%m-%d %H:%M} UTC"
                  + (" (dry run)" if args.dry_run else ""), flush=True)
    if args.json:
        print(json.dumps({"now": ldap_time(job.now), "dry_run": args.dry_run, "actions": job.actions,
                          "failed": job.failed}, ensure_ascii=False))
    return 1 if job.failed else 0


if __name__ == "__main__":
    sys.exit(main())
