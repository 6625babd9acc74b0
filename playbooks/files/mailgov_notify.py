#!/usr/bin/python3
"""Mail a maintenance notice in Vietnamese to every mailbox of the domain, or of some units and
the units below them; recalled accounts are left out, locked ones still get it (they receive mail).

Run on the mail server by playbooks/notify.yml (as root: the directory over ldapi:///, Postfix's
sendmail); the playbook has checked the window. Prints JSON: the recipients and what was sent.

    mailgov_notify.py --base-dn dc=... --domain gialai.gov.vn --start "2025-07-12 22:00"
        --end "2025-07-13 02:00" --affected "..." [--unit stttt ...] [--dry-run]
"""

import argparse
import datetime
import email.policy
import json
import subprocess
import sys
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
BATCH = 200  # envelope recipients per message handed to Postfix


def recipients(base_dn, scopes):
    import ldap
    import ldap.dn
    import ldap.sasl

    conn = ldap.initialize("ldapi:///")
    conn.sasl_interactive_bind_s("", ldap.sasl.external())
    depth = len(ldap.dn.explode_dn(base_dn)) + 1
    paths = {}
    for dn, e in conn.search_s(f"ou=units,{base_dn}", ldap.SCOPE_SUBTREE, "(objectClass=mailOrgUnit)", ["mailUnit"]):
        paths[e["mailUnit"][0].decode()] = {rdn.split("=", 1)[1] for rdn in ldap.dn.explode_dn(dn)[:-depth]}
    unknown = [u for u in scopes if u not in paths]
    if unknown:
        sys.exit(f"unknown units: {', '.join(unknown)}; known: {', '.join(sorted(paths))}; nothing was sent")
    found = conn.search_s(base_dn, ldap.SCOPE_SUBTREE, "(&(objectClass=mailAccount)(!(mailStatus=recalled)))",
                          ["mail", "mailUnit"])
    result = []
    for _, e in found:
        unit = e.get("mailUnit", [b""])[0].decode()
        if not scopes or paths.get(unit, set()) & set(scopes):
            result.append(e["mail"][0].decode().lower())
    return sorted(result)


def when(moment):
    return f"{moment:%H:%M} {WEEKDAYS[moment.weekday()]}, ngày {moment:%d/%m/%Y}"


def notice(args, start, end):
    msg = EmailMessage()
    msg["From"] = formataddr((args.sender_name, args.sender))
    msg["To"] = "undisclosed-recipients:;"
    msg["Subject"] = f"Thông báo bảo trì hệ thống thư điện tử từ {start:%H:%M} ngày {start:%d/%m/%Y}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=args.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        "Kính gửi quý đồng chí,\n\n"
        f"Hệ thống thư điện tử công vụ {args.domain} sẽ được bảo trì theo kế hoạch:\n\n"
        f"- Bắt đầu: {when(start)}\n"
        f"- Kết thúc dự kiến: {when(end)}\n"
        f"- Ảnh hưởng: {args.affected}\n\n"
        "Thư gửi đến quý đồng chí trong thời gian này không bị mất: máy chủ gửi sẽ gửi lại sau khi "
        "bảo trì xong. Xin quý đồng chí sắp xếp công việc cho phù hợp.\n\n"
        "Xin cảm ơn sự phối hợp của quý đồng chí.\n"
        f"{args.sender_name}\n"
    )
    # Long lines, so that the subject stays one encoded word (Python's folding at 78 columns
    # drops the space between two encoded words).
    return msg.as_bytes(policy=email.policy.default.clone(max_line_length=998))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dn", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--start", required=True, type=datetime.datetime.fromisoformat)
    parser.add_argument("--end", required=True, type=datetime.datetime.fromisoformat)
    parser.add_argument("--affected", required=True)
    parser.add_argument("--unit", action="append", default=[])
    parser.add_argument("--sender", required=True)
    parser.add_argument("--sender-name", default="Quản trị hệ thống thư điện tử")
    parser.add_argument("--sendmail", default="/usr/sbin/sendmail")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    to = recipients(args.base_dn, args.unit)
    message = notice(args, args.start, args.end)
    sent = 0
    if not args.dry_run:
        for i in range(0, len(to), BATCH):
            batch = to[i:i + BATCH]
            done = subprocess.run([args.sendmail, "-i", "-f", args.sender, "--", *batch], input=message,
                                  capture_output=True, check=False)
            if done.returncode != 0:
                print(json.dumps({"recipients": to, "sent": sent, "error": done.stderr.decode(errors="replace")[-500:]},
                                 ensure_ascii=False))
                sys.exit(1)
            sent += len(batch)
    print(json.dumps({"recipients": to, "sent": sent, "subject": str(email.message_from_bytes(
        message, policy=email.policy.default)["Subject"])}, ensure_ascii=False))


if __name__ == "__main__":
    main()
