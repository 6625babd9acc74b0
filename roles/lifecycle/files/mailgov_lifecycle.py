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

"Use" is the last login; an account never logged in counts from its creation or its last
password change. Accounts the roster itself locked or recalled are left to the roster.
Every action is logged with its reason (to the journal); --dry-run only says what would be done.

    mailgov-lifecycle [--dry-run] [--json] [--now 2025-10-01T08:00] [--account ADDRESS ...]
    mailgov-lifecycle reopen ADDRESS < new-initial-password
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

from mailgov import notify

CONFIG = "/etc/mailgov/lifecycle.json"
LOCKED = "000001010000Z"  # ppolicy: locked by the administrator until unlocked
UTC = datetime.timezone.utc
ATTRS = ["uid", "mail", "mailKind", "mailStatus", "mailStatusReason", "mailStatusChanged",
         "pwdAccountLockedTime", "pwdChangedTime", "pwdReset", "createTimestamp", "displayName",
         "mailStorage", "mailFormerAddress", "mailForward", "mailForwardUntil"]
REASONS = {
    "unused": "no login for {days} days (limit {limit})",
    "initial-password": "initial password not changed for {days} days (limit {limit})",
}


class Failure(Exception):
    """An action that could not be carried out; the others go on."""


def parse_time(value):
    """A directory time (20250102030405Z, maybe with a fraction) as an aware datetime."""
    if not value:
        return None
    value = value.rstrip("Z").split(".")[0]
    return datetime.datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def ldap_time(moment):
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


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


def parse_last_logins(text):
    """Dovecot's file dict: lines alternate key and value; keys shared/last-login/<address>."""
    lines = text.splitlines()
    found = {}
    for key, value in zip(lines[0::2], lines[1::2]):
        prefix = "shared/last-login/"
        if key.startswith(prefix):
            try:
                found[key[len(prefix):].lower()] = datetime.datetime.fromtimestamp(int(value), UTC)
            except ValueError:
                continue
    return found


def normalise(entry):
    """The fields the rules need, from an LDAP entry (attribute: [str])."""
    first = lambda name: (entry.get(name) or [None])[0]  # noqa: E731
    return {
        "uid": first("uid"),
        "address": (first("mail") or "").lower(),
        "name": first("displayName") or first("uid"),
        "kind": first("mailKind") or "person",
        "status": first("mailStatus") or "active",
        "reason": first("mailStatusReason"),
        "status_changed": parse_time(first("mailStatusChanged")),
        "locked": first("pwdAccountLockedTime") == LOCKED,
        "created": parse_time(first("createTimestamp")),
        "password_changed": parse_time(first("pwdChangedTime")),
        "reset": (first("pwdReset") or "").upper() == "TRUE",
        # Where the mailbox is on disk: named by the address it was made with.
        "storage": (first("mailStorage") or first("mail") or "").lower(),
        "former": [a.lower() for a in entry.get("mailFormerAddress") or []],
        "forwards": [a.lower() for a in entry.get("mailForward") or []],
        "forward_until": parse_time(first("mailForwardUntil")),
    }


def last_login(account, logins):
    """The last login with the account's address or, before a transfer, a former one."""
    return max((logins[a] for a in [account["address"], *account["former"]] if a in logins), default=None)


def forward_ended(account, now):
    """The old addresses whose forward has ended, with a sentence for the log; None if none."""
    until = account["forward_until"]
    if not account["forwards"] or until is None or now < until:
        return None
    return (f"{', '.join(account['forwards'])} moved to {account['address']}; forwarded until "
            f"{until:%Y-%m-%d}, now refused (the address stays reserved)")


def days_between(earlier, later):
    return (later - earlier).days


def decide(account, last_login, now, rules):
    """What the rules ask for this account now: a list of (action, reason code, sentence).

    Actions: recall, lock, remind. Pure, so that it is tested without a directory.
    """
    status, reason = account["status"], account["reason"]
    # The roster's own locks and recalls are the roster's business.
    if status == "recalled" or (status == "locked" and not reason):
        return []
    moments = [t for t in (last_login, account["password_changed"], account["created"]) if t]
    if not moments:
        return []
    idle = days_between(max(moments), now)
    person = account["kind"] == "person"
    recall = rules.get("recall_unused_days") if person else rules.get("unit_unused_recall_days")
    if recall and idle >= recall:
        return [("recall", "unused", REASONS["unused"].format(days=idle, limit=recall))]
    if status != "active" or not person:
        return []
    lock = rules.get("lock_unused_days")
    if lock and idle >= lock:
        return [("lock", "unused", REASONS["unused"].format(days=idle, limit=lock))]
    issued = account["password_changed"] or account["created"]
    grace = rules.get("initial_password_grace_days")
    if account["reset"]:
        if grace and issued and days_between(issued, now) >= grace:
            days = days_between(issued, now)
            return [("lock", "initial-password", REASONS["initial-password"].format(days=days, limit=grace))]
        return []
    max_age, warning = rules.get("max_age_days"), rules.get("expire_warning_days")
    if max_age and warning and account["password_changed"]:
        expires = account["password_changed"] + datetime.timedelta(days=max_age)
        if expires - datetime.timedelta(days=warning) <= now < expires:
            left = max(1, -(-int((expires - now).total_seconds()) // 86400))
            return [("remind", "password-expiry",
                     f"password expires on {expires:%Y-%m-%d} ({left} days left)")]
    return []


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
        self.rules = config["rules"]
        self.now = now
        self.dry_run = dry_run
        self.log = log
        self.conn = None
        self.actions = []
        self.failed = 0

    # The directory, as root over ldapi:/// (SASL EXTERNAL).
    def connect(self):
        import ldap
        import ldap.sasl

        self.ldap = ldap
        self.conn = ldap.initialize(self.config.get("ldap_uri", "ldapi:///"))
        self.conn.protocol_version = 3
        self.conn.sasl_interactive_bind_s("", ldap.sasl.external())

    def accounts(self):
        ldap = self.ldap
        found = []
        for ou in ("people", "mailboxes"):
            base = f"ou={ou},{self.config['base_dn']}"
            try:
                result = self.conn.search_s(base, ldap.SCOPE_ONELEVEL, "(objectClass=mailAccount)", ATTRS)
            except ldap.NO_SUCH_OBJECT:
                continue
            for dn, entry in result:
                values = {k: [v.decode("utf-8") for v in vals] for k, vals in entry.items()}
                account = normalise(values)
                account["dn"] = dn
                found.append(account)
        return found

    def modify(self, account, mods):
        ldap = self.ldap
        encoded = [(op, attr, None if vals is None else [v.encode("utf-8") for v in vals])
                   for op, attr, vals in mods]
        self.conn.modify_s(account["dn"], [(ldap.MOD_REPLACE if op == "replace" else ldap.MOD_DELETE, a, v)
                                          for op, a, v in encoded])

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
        if not self.dry_run:
            self.modify(account, [("replace", "pwdAccountLockedTime", [LOCKED]),
                                  ("replace", "mailStatus", ["locked"]),
                                  ("replace", "mailStatusReason", [reason]),
                                  ("replace", "mailStatusChanged", [ldap_time(self.now)])])
        self.record(account, "lock", reason, detail + "; the account still receives mail")

    def recall(self, account, reason, detail):
        # Marked recalled first, so that no mail arrives between the archive and the removal.
        if not self.dry_run:
            self.modify(account, [("replace", "pwdAccountLockedTime", [LOCKED]),
                                  ("replace", "mailStatus", ["recalled"]),
                                  ("replace", "mailStatusReason", [reason]),
                                  ("replace", "mailStatusChanged", [ldap_time(self.now)])])
        self.record(account, "recall", reason, detail)
        account["status"], account["reason"] = "recalled", reason

    def end_forward(self, account, detail):
        if not self.dry_run:
            self.modify(account, [("delete", "mailForward", None), ("delete", "mailForwardUntil", None)])
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
            message = reminder(account, self.now, self.rules, self.config["sender"], self.config["sender_name"])
            try:
                notify.send(message, self.config["sender"], [account["address"]],
                            sendmail=self.config.get("sendmail", notify.SENDMAIL))
            except notify.SendError as err:
                self.failed += 1
                self.record(account, "remind", reason, str(err), outcome="failed")
                return
            state[key] = stamp
        self.record(account, "remind", reason, detail + "; reminder mailed in Vietnamese")

    def run(self, only):
        self.connect()
        logins = self.last_logins()
        state = self.state()
        reminded = dict(state)
        for account in sorted(self.accounts(), key=lambda a: a["address"]):
            if only and account["address"] not in only:
                continue
            try:
                ended = forward_ended(account, self.now)
                if ended:
                    self.end_forward(account, ended)
                for action, reason, detail in decide(account, last_login(account, logins), self.now, self.rules):
                    if action == "recall":
                        self.recall(account, reason, detail)
                    elif action == "lock":
                        self.lock(account, reason, detail)
                    elif action == "remind":
                        self.remind(account, reason, detail, state)
                if account["status"] == "recalled" and account["reason"]:
                    self.archive_and_remove(account)
            except (Failure, OSError, self.ldap.LDAPError) as err:
                self.failed += 1
                self.record(account, "lifecycle", "error", str(err), outcome="failed")
        if state != reminded and not self.dry_run:
            self.save_state(state)

    def reopen(self, address, password):
        """Unlock an account this job or an administrator locked, with a new initial password."""
        self.connect()
        found = [a for a in self.accounts() if a["address"] == address]
        if not found:
            raise SystemExit(f"mailgov-lifecycle: no account has the address {address}")
        account = found[0]
        if account["status"] == "active" and not account["locked"]:
            raise SystemExit(f"mailgov-lifecycle: {address} is not locked; nothing to reopen")
        wait = self.rules.get("reopen_wait_days") or 0
        since = account["status_changed"]
        if wait and since and self.now < since + datetime.timedelta(days=wait):
            raise SystemExit(f"mailgov-lifecycle: {address} was locked on {since:%Y-%m-%d}; the regulation "
                             f"reopens it only {wait} days later, from {since + datetime.timedelta(days=wait):%Y-%m-%d}")
        was = account["reason"] or account["status"]
        mods = [("replace", "userPassword", [password]), ("replace", "pwdReset", ["TRUE"]),
                ("replace", "mailStatus", ["active"]), ("replace", "mailStatusChanged", [ldap_time(self.now)])]
        if account["locked"]:
            mods.append(("delete", "pwdAccountLockedTime", None))
        if account["reason"]:
            mods.append(("delete", "mailStatusReason", None))
        if not self.dry_run:
            self.modify(account, mods)
        self.record(account, "reopen", was, "new initial password, to be changed at the next login")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mailgov-lifecycle", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "reopen"])
    parser.add_argument("address", nargs="?", help="reopen: the account's address")
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
    if args.command == "reopen":
        if not args.address:
            parser.error("reopen needs the account's address")
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            parser.error("reopen reads the new initial password from standard input")
        job.reopen(args.address.lower(), password)
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
