#!/usr/bin/python3
"""The regulations' usage report: per unit, mailboxes, their state, quota use, idle accounts
and logins in a quarter or half-year, as CSV and as one self-contained HTML page.

Run on the mail server by playbooks/report.yml (as root: the directory over ldapi:///,
`doveadm quota`, Dovecot's last-login record and the journal); prints JSON with both files.

    mailgov_report.py --base-dn dc=... --start 2025-07-01 --end 2025-10-01 --title "Quý 3/2025"
"""

import argparse
import csv
import datetime
import html
import io
import json
import re
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

UTC = datetime.timezone.utc
IDLE = (30, 90, 180)
COLUMNS = [
    ("unit", "Mã đơn vị"), ("unit_name", "Đơn vị"), ("person_mailboxes", "Hộp thư cá nhân"),
    ("unit_mailboxes", "Hộp thư đơn vị"), ("active", "Đang hoạt động"), ("locked", "Đang khoá"),
    ("recalled", "Đã thu hồi"), ("quota_used_bytes", "Dung lượng đã dùng (byte)"),
    ("quota_bytes", "Dung lượng cấp (byte)"), ("unused_30", "Không dùng 30 ngày"),
    ("unused_90", "Không dùng 90 ngày"), ("unused_180", "Không dùng 180 ngày"),
    ("logins", "Lượt đăng nhập trong kỳ"),
]


def parse_time(value):
    if not value:
        return None
    return datetime.datetime.strptime(value.rstrip("Z").split(".")[0], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def directory(base_dn):
    import ldap
    import ldap.sasl

    conn = ldap.initialize("ldapi:///")
    conn.sasl_interactive_bind_s("", ldap.sasl.external())

    def search(base, filterstr, attrs):
        try:
            found = conn.search_s(base, ldap.SCOPE_SUBTREE, filterstr, attrs)
        except ldap.NO_SUCH_OBJECT:
            return []
        return [(dn, {k: v[0].decode("utf-8") for k, v in e.items()}) for dn, e in found if dn]

    units = {e["mailUnit"]: e.get("displayName", e["mailUnit"])
             for _, e in search(f"ou=units,{base_dn}", "(objectClass=mailOrgUnit)", ["mailUnit", "displayName"])}
    accounts = []
    for ou in ("people", "mailboxes"):
        for _, e in search(f"ou={ou},{base_dn}", "(objectClass=mailAccount)",
                           ["mail", "mailKind", "mailStatus", "mailUnit", "mailQuota", "createTimestamp"]):
            accounts.append({"address": e["mail"].lower(), "kind": e.get("mailKind", "person"),
                             "status": e.get("mailStatus", "active"), "unit": e.get("mailUnit", ""),
                             "quota": int(e.get("mailQuota", 0) or 0), "created": parse_time(e.get("createTimestamp"))})
    return units, accounts


def last_logins(path):
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return {}
    found = {}
    for key, value in zip(lines[0::2], lines[1::2]):
        if key.startswith("shared/last-login/") and value.isdigit():
            found[key[len("shared/last-login/"):].lower()] = datetime.datetime.fromtimestamp(int(value), UTC)
    return found


def quota_use(addresses):
    """Bytes used per address, from Dovecot's quota (STORAGE, in KiB). One call per account:
    the LDAP userdb cannot list its users, so `quota get -A` is not available."""
    used = {}
    for address in addresses:
        done = subprocess.run(["doveadm", "-f", "tab", "quota", "get", "-u", address],
                              capture_output=True, text=True, check=False)
        lines = done.stdout.splitlines()
        if done.returncode != 0 or not lines:
            continue
        header = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(header, line.split("\t")))
            if row.get("Type") == "STORAGE" and row.get("Value", "").isdigit():
                used[address] = int(row["Value"]) * 1024
    return used


# Dovecot 2.4 says "Logged in", 2.3 "Login"; failed and aborted logins say neither.
LOGIN = re.compile(r"-login: (?:Logged in|Login): user=<([^>]+)>")


def logins(start, end):
    """IMAP and POP3 logins per address in [start, end), from the journal (kept six months)."""
    done = subprocess.run(["journalctl", "-q", "--no-pager", "-o", "cat", "-u", "dovecot.service",
                           "--since", start.strftime("%Y-%m-%d %H:%M:%S"), "--until", end.strftime("%Y-%m-%d %H:%M:%S"),
                           "--grep", "-login: (Logged in|Login): user=<"], capture_output=True, text=True, check=False)
    counts = Counter()
    for match in LOGIN.finditer(done.stdout):
        user = match.group(1).lower()
        counts[user.split("*")[0]] += 1  # a delegate's login counts for the unit mailbox
    return counts


def rows(units, accounts, last, used, login_counts, at):
    table = defaultdict(lambda: dict.fromkeys([c for c, _ in COLUMNS[2:]], 0))
    for account in accounts:
        row = table[account["unit"]]
        row["person_mailboxes" if account["kind"] == "person" else "unit_mailboxes"] += 1
        row[account["status"] if account["status"] in ("active", "locked", "recalled") else "active"] += 1
        if account["status"] == "recalled":
            continue
        row["quota_bytes"] += account["quota"]
        row["quota_used_bytes"] += used.get(account["address"], 0)
        seen = [t for t in (last.get(account["address"]), account["created"]) if t]
        idle = (at - max(seen)).days if seen else 0
        for days in IDLE:
            row[f"unused_{days}"] += idle >= days
        row["logins"] += login_counts.get(account["address"], 0)
    result = []
    for unit in sorted(table, key=lambda u: (u == "", units.get(u, u))):
        result.append(dict(unit=unit, unit_name=units.get(unit, "(không thuộc đơn vị)" if not unit else unit),
                           **{k: int(v) for k, v in table[unit].items()}))
    total = {c: sum(r[c] for r in result) for c, _ in COLUMNS[2:]}
    result.append(dict(unit="", unit_name="Tổng cộng", **total))
    return result


def to_csv(table):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c for c, _ in COLUMNS])
    for row in table:
        writer.writerow([row[c] for c, _ in COLUMNS])
    return out.getvalue()


def size(value):
    for name, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.1f} {name}"
    return f"{value} B"


def bars(title, table, series, unit=""):
    """A horizontal stacked bar chart as inline SVG: one bar per unit."""
    height, label_w, bar_w = 22, 260, 420
    top = max([sum(r[s] for s, _, _ in series) for r in table] + [1])
    parts = [f'<figure><figcaption>{html.escape(title)}</figcaption>',
             f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 120}" '
             f'height="{height * len(table) + 30}" role="img" aria-label="{html.escape(title)}">']
    for i, row in enumerate(table):
        y = i * height
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{html.escape(row["unit_name"])}</text>')
        x = label_w
        for key, _, color in series:
            w = bar_w * row[key] / top
            if w:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{height - 6}" fill="{color}">'
                             f'<title>{row[key]}</title></rect>')
            x += w
        total = sum(row[k] for k, _, _ in series)
        shown = size(total) if unit == "bytes" else str(total)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{shown}</text>')
    y = height * len(table) + 20
    x = label_w
    for _, name, color in series:
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 16}" y="{y}">{html.escape(name)}</text>')
        x += 30 + 8 * len(name)
    parts.append("</svg></figure>")
    return "".join(parts)


def to_html(table, title, domain, start, end):
    # The idle counts nest (180 days unused is also 90 and 30): the chart stacks them as bands.
    units = [dict(r, band_30=r["unused_30"] - r["unused_90"], band_90=r["unused_90"] - r["unused_180"])
             for r in table[:-1]]
    head = "".join(f"<th>{html.escape(name)}</th>" for _, name in COLUMNS[1:])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(row[c]))}</td>" for c, _ in COLUMNS[1:]) + "</tr>"
                   for row in table)
    charts = [
        bars("Tài khoản theo trạng thái", units, [("active", "Đang hoạt động", "#2e7d32"),
                                                  ("locked", "Đang khoá", "#f9a825"),
                                                  ("recalled", "Đã thu hồi", "#c62828")]),
        bars("Tài khoản không dùng (tính đến cuối kỳ)", units, [("band_30", "30–89 ngày", "#90caf9"),
                                                               ("band_90", "90–179 ngày", "#1e88e5"),
                                                               ("unused_180", "từ 180 ngày", "#0d47a1")]),
        bars("Dung lượng đã dùng", units, [("quota_used_bytes", "Đã dùng", "#6a1b9a")], unit="bytes"),
        bars("Lượt đăng nhập trong kỳ", units, [("logins", "Lượt đăng nhập", "#00838f")]),
    ]
    last_day = end - datetime.timedelta(days=1)
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>{html.escape(title)} — {html.escape(domain)}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #212121; }}
h1 {{ font-size: 1.5em; }} figure {{ margin: 1.5em 0; }} figcaption {{ font-weight: bold; margin-bottom: .5em; }}
svg text {{ font-size: 12px; font-family: inherit; }}
table {{ border-collapse: collapse; font-size: .85em; }} th, td {{ border: 1px solid #bbb; padding: 3px 6px; }}
td:not(:first-child) {{ text-align: right; }} tr:last-child {{ font-weight: bold; background: #f5f5f5; }}
</style></head><body>
<h1>Báo cáo sử dụng thư điện tử công vụ — {html.escape(title)}</h1>
<p>Hệ thống {html.escape(domain)}, từ ngày {start:%d/%m/%Y} đến ngày {last_day:%d/%m/%Y}.</p>
{"".join(charts)}
<h2>Số liệu theo đơn vị</h2>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-dn", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--start", required=True, type=datetime.date.fromisoformat)
    parser.add_argument("--end", required=True, type=datetime.date.fromisoformat, help="first day after the period")
    parser.add_argument("--title", required=True)
    parser.add_argument("--last-login-file", default="/var/lib/dovecot/last-login/last-login.dict")
    args = parser.parse_args()
    start = datetime.datetime.combine(args.start, datetime.time(), UTC)
    end = datetime.datetime.combine(args.end, datetime.time(), UTC)
    at = min(end, datetime.datetime.now(UTC))
    units, accounts = directory(args.base_dn)
    used = quota_use([a["address"] for a in accounts if a["status"] != "recalled"])
    table = rows(units, accounts, last_logins(args.last_login_file), used, logins(start, end), at)
    print(json.dumps({"csv": to_csv(table), "html": to_html(table, args.title, args.domain, args.start, args.end),
                      "rows": table}, ensure_ascii=False))


if __name__ == "__main__":
    main()
