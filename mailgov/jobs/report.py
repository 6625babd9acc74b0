"""The regulations' usage report: per unit, mailboxes, their state, quota use, idle accounts
and logins in a quarter or half-year, as CSV and as one self-contained HTML page.

Run on the mail server by playbooks/report.yml, as root (the directory over ldapi:///,
`doveadm quota`, Dovecot's last-login record and the journal); prints JSON with both files
and the rows.

    python3 -m mailgov.jobs.report --base-dn dc=... --domain gialai.gov.vn \\
        --start 2025-07-01 --end 2025-10-01 --title "Quý 3/2025"

Everything above "Reading, on the server" decides and renders from plain data and is tested
without a server; the readers below it are the only code that touches the directory, doveadm
and the journal.
"""

import argparse
import csv
import datetime
import html
import io
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mailgov.errors import DirectoryError
from mailgov.ldap import Connection

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
COUNTS = [c for c, _ in COLUMNS[2:]]
ACCOUNT_ATTRS = ["mail", "mailKind", "mailStatus", "mailUnit", "mailQuota", "createTimestamp"]
LAST_LOGIN = "shared/last-login/"
# Dovecot 2.4 says "Logged in", 2.3 "Login"; failed and aborted logins say neither.
LOGIN = re.compile(r"-login: (?:Logged in|Login): user=<([^>]+)>")


def parse_time(value):
    """An LDAP GeneralizedTime (20250701083000Z) as an aware datetime; None for nothing."""
    if not value:
        return None
    return datetime.datetime.strptime(value.rstrip("Z").split(".")[0], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def _first(entry, attr, default=""):
    values = entry.get(attr) or [default]
    return values[0]


def unit_names(entries):
    """{unit id: its name} from the mailOrgUnit entries of a search."""
    return {_first(e, "mailUnit"): _first(e, "displayName", _first(e, "mailUnit")) for e in entries.values()}


def account_of(entry):
    """What the report counts of one mailAccount entry."""
    return {"address": _first(entry, "mail").lower(), "kind": _first(entry, "mailKind", "person"),
            "status": _first(entry, "mailStatus", "active"), "unit": _first(entry, "mailUnit"),
            "quota": int(_first(entry, "mailQuota", "0") or 0),
            "created": parse_time(_first(entry, "createTimestamp"))}


def parse_last_logins(text):
    """{address: last login} from Dovecot's last-login dict file (key and value on alternate lines)."""
    lines = text.splitlines()
    found = {}
    for key, value in zip(lines[0::2], lines[1::2]):
        if key.startswith(LAST_LOGIN) and value.isdigit():
            found[key[len(LAST_LOGIN):].lower()] = datetime.datetime.fromtimestamp(int(value), UTC)
    return found


def parse_quota(text):
    """Bytes in use from `doveadm -f tab quota get` (STORAGE is in KiB); None when it does not say."""
    lines = text.splitlines()
    if not lines:
        return None
    header = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t")))
        if row.get("Type") == "STORAGE" and row.get("Value", "").isdigit():
            return int(row["Value"]) * 1024
    return None


def count_logins(text):
    """IMAP and POP3 logins per address in Dovecot's log lines."""
    counts = Counter()
    for match in LOGIN.finditer(text):
        counts[match.group(1).lower().split("*")[0]] += 1  # a delegate's login counts for the unit mailbox
    return counts


def _count(row, account, last, used, login_counts, at):
    row["person_mailboxes" if account["kind"] == "person" else "unit_mailboxes"] += 1
    row[account["status"] if account["status"] in ("active", "locked", "recalled") else "active"] += 1
    if account["status"] == "recalled":
        return
    row["quota_bytes"] += account["quota"]
    row["quota_used_bytes"] += used.get(account["address"], 0)
    seen = [t for t in (last.get(account["address"]), account["created"]) if t]
    idle = (at - max(seen)).days if seen else 0
    for days in IDLE:
        row[f"unused_{days}"] += idle >= days
    row["logins"] += login_counts.get(account["address"], 0)


def rows(units, accounts, last, used, login_counts, at):
    """One row per unit, by unit name with the accounts of no unit last, then the total."""
    table = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for account in accounts:
        _count(table[account["unit"]], account, last, used, login_counts, at)
    result = []
    for unit in sorted(table, key=lambda u: (u == "", units.get(u, u))):
        result.append(dict(unit=unit, unit_name=units.get(unit, "(không thuộc đơn vị)" if not unit else unit),
                           **{k: int(v) for k, v in table[unit].items()}))
    total = {c: sum(r[c] for r in result) for c in COUNTS}
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


def _bar(row, y, series, top, unit, label_w=260, bar_w=420, height=22):
    parts = [f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{html.escape(row["unit_name"])}</text>']
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
    return parts


def bars(title, table, series, unit=""):
    """A horizontal stacked bar chart as inline SVG: one bar per unit."""
    height, label_w, bar_w = 22, 260, 420
    top = max([sum(r[s] for s, _, _ in series) for r in table] + [1])
    parts = [f'<figure><figcaption>{html.escape(title)}</figcaption>',
             f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 120}" '
             f'height="{height * len(table) + 30}" role="img" aria-label="{html.escape(title)}">']
    for i, row in enumerate(table):
        parts += _bar(row, i * height, series, top, unit, label_w, bar_w, height)
    y = height * len(table) + 20
    x = label_w
    for _, name, color in series:
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 16}" y="{y}">{html.escape(name)}</text>')
        x += 30 + 8 * len(name)
    parts.append("</svg></figure>")
    return "".join(parts)


def _charts(table):
    # The idle counts nest (180 days unused is also 90 and 30): the chart stacks them as bands.
    units = [dict(r, band_30=r["unused_30"] - r["unused_90"], band_90=r["unused_90"] - r["unused_180"])
             for r in table[:-1]]
    return [
        bars("Tài khoản theo trạng thái", units, [("active", "Đang hoạt động", "#2e7d32"),
                                                  ("locked", "Đang khoá", "#f9a825"),
                                                  ("recalled", "Đã thu hồi", "#c62828")]),
        bars("Tài khoản không dùng (tính đến cuối kỳ)", units, [("band_30", "30–89 ngày", "#90caf9"),
                                                               ("band_90", "90–179 ngày", "#1e88e5"),
                                                               ("unused_180", "từ 180 ngày", "#0d47a1")]),
        bars("Dung lượng đã dùng", units, [("quota_used_bytes", "Đã dùng", "#6a1b9a")], unit="bytes"),
        bars("Lượt đăng nhập trong kỳ", units, [("logins", "Lượt đăng nhập", "#00838f")]),
    ]


def to_html(table, title, domain, start, end):
    head = "".join(f"<th>{html.escape(name)}</th>" for _, name in COLUMNS[1:])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(row[c]))}</td>" for c, _ in COLUMNS[1:]) + "</tr>"
                   for row in table)
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
{"".join(_charts(table))}
<h2>Số liệu theo đơn vị</h2>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>
"""


def report(table, title, domain, start, end):
    """The job's answer: both files and the rows."""
    return {"csv": to_csv(table), "html": to_html(table, title, domain, start, end), "rows": table}


# Reading, on the server.
def read_directory(conn, base_dn):
    """(unit names, accounts) from the directory."""
    units = unit_names(conn.search(f"ou=units,{base_dn}", filterstr="(objectClass=mailOrgUnit)",
                                   attrs=["mailUnit", "displayName"]))
    accounts = []
    for ou in ("people", "mailboxes"):
        found = conn.search(f"ou={ou},{base_dn}", filterstr="(objectClass=mailAccount)", attrs=ACCOUNT_ATTRS)
        accounts += [account_of(e) for e in found.values()]
    return units, accounts


def last_logins(path):
    try:
        return parse_last_logins(Path(path).read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return {}


def quota_use(addresses):
    """Bytes used per address. One doveadm call per account: the LDAP userdb cannot list its
    users, so `quota get -A` is not available."""
    used = {}
    for address in addresses:
        done = subprocess.run(["doveadm", "-f", "tab", "quota", "get", "-u", address],
                              capture_output=True, text=True, check=False)
        value = parse_quota(done.stdout) if done.returncode == 0 else None
        if value is not None:
            used[address] = value
    return used


def logins(start, end):
    """Logins per address in [start, end), from the journal (kept six months)."""
    done = subprocess.run(["journalctl", "-q", "--no-pager", "-o", "cat", "-u", "dovecot.service",
                           "--since", start.strftime("%Y-%m-%d %H:%M:%S"), "--until", end.strftime("%Y-%m-%d %H:%M:%S"),
                           "--grep", "-login: (Logged in|Login): user=<"], capture_output=True, text=True, check=False)
    return count_logins(done.stdout)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m mailgov.jobs.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-dn", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--start", required=True, type=datetime.date.fromisoformat)
    parser.add_argument("--end", required=True, type=datetime.date.fromisoformat, help="first day after the period")
    parser.add_argument("--title", required=True)
    parser.add_argument("--last-login-file", default="/var/lib/dovecot/last-login/last-login.dict")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = datetime.datetime.combine(args.start, datetime.time(), UTC)
    end = datetime.datetime.combine(args.end, datetime.time(), UTC)
    at = min(end, datetime.datetime.now(UTC))
    try:
        units, accounts = read_directory(Connection(), args.base_dn)
    except DirectoryError as err:
        sys.exit(f"mailgov.jobs.report: {err}")
    used = quota_use([a["address"] for a in accounts if a["status"] != "recalled"])
    table = rows(units, accounts, last_logins(args.last_login_file), used, logins(start, end), at)
    print(json.dumps(report(table, args.title, args.domain, args.start, args.end), ensure_ascii=False))


if __name__ == "__main__":
    main()
