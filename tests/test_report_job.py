"""The usage report, without a server: mailgov.jobs.report (python3 -m mailgov.jobs.report)."""

import csv
import datetime
import io
import json

from mailgov.jobs import report as job

UTC = datetime.timezone.utc
AT = datetime.datetime(2025, 10, 1, tzinfo=UTC)
UNITS = {"stnmt": "Sở Tài nguyên và Môi trường", "snv": "Sở Nội vụ"}


def account(address, unit, kind="person", status="active", quota=1 << 30, created=datetime.datetime(2025, 1, 1)):
    return {"address": address, "kind": kind, "status": status, "unit": unit, "quota": quota,
            "created": created.replace(tzinfo=UTC)}


ACCOUNTS = [
    account("huy.pq@gialai.gov.vn", "stnmt"),
    account("ha.ltt@gialai.gov.vn", "stnmt", status="locked"),
    account("stnmt@gialai.gov.vn", "stnmt", kind="unit"),
    account("lam.bv@gialai.gov.vn", "snv", status="recalled"),
    account("duyen.htm@gialai.gov.vn", "snv"),
]


def test_the_entries_of_a_search_become_units_and_accounts():
    assert job.unit_names({"ou=snv,ou=units,dc=x": {"mailUnit": ["snv"], "displayName": ["Sở Nội vụ"]},
                           "ou=pleiku,ou=units,dc=x": {"mailUnit": ["pleiku"]}}) == {"snv": "Sở Nội vụ",
                                                                                     "pleiku": "pleiku"}
    entry = {"mail": ["Huy.PQ@gialai.gov.vn"], "mailUnit": ["stnmt"], "mailQuota": ["3221225472"],
             "createTimestamp": ["20250102030405Z"]}
    assert job.account_of(entry) == {"address": "huy.pq@gialai.gov.vn", "kind": "person", "status": "active",
                                     "unit": "stnmt", "quota": 3221225472,
                                     "created": datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)}
    assert job.account_of({"mail": ["a@b"]})["created"] is None


def test_dovecots_records_are_read():
    last = job.parse_last_logins("shared/last-login/Huy.PQ@gialai.gov.vn\n1751328000\nother/key\n1\n")
    assert last == {"huy.pq@gialai.gov.vn": datetime.datetime(2025, 7, 1, tzinfo=UTC)}
    quota = "Quota name\tType\tValue\tLimit\t%\nUser quota\tSTORAGE\t2048\t1048576\t0\nUser quota\tMESSAGE\t7\t-\t0\n"
    assert job.parse_quota(quota) == 2 << 20 and job.parse_quota("") is None
    log = ("imap-login: Logged in: user=<Huy.PQ@gialai.gov.vn>, method=PLAIN\n"
           "pop3-login: Login: user=<huy.pq@gialai.gov.vn>\n"
           "imap-login: Logged in: user=<stnmt@gialai.gov.vn*huy.pq@gialai.gov.vn>\n"
           "imap-login: Aborted login (auth failed, 1 attempts): user=<ha.ltt@gialai.gov.vn>\n")
    assert job.count_logins(log) == {"huy.pq@gialai.gov.vn": 2, "stnmt@gialai.gov.vn": 1}


def test_rows_count_per_unit_in_name_order_and_total():
    last = {"huy.pq@gialai.gov.vn": datetime.datetime(2025, 9, 20, tzinfo=UTC)}
    used = {"huy.pq@gialai.gov.vn": 5 << 20, "lam.bv@gialai.gov.vn": 1 << 20}
    table = job.rows(UNITS, ACCOUNTS, last, used, {"huy.pq@gialai.gov.vn": 4}, AT)
    assert [r["unit_name"] for r in table] == ["Sở Nội vụ", "Sở Tài nguyên và Môi trường", "Tổng cộng"]
    snv, stnmt, total = table
    assert (snv["person_mailboxes"], snv["recalled"], snv["active"], snv["quota_bytes"]) == (2, 1, 1, 1 << 30)
    assert (stnmt["unit_mailboxes"], stnmt["locked"], stnmt["quota_used_bytes"], stnmt["logins"]) == (1, 1, 5 << 20, 4)
    # Idle since creation, except huy.pq who logged in 11 days before the end; recalled accounts do not count.
    assert (stnmt["unused_30"], stnmt["unused_180"], snv["unused_180"]) == (2, 2, 1)
    assert total["person_mailboxes"] == 4 and total["recalled"] == 1 and total["unit"] == ""


def test_the_csv_and_the_page_hold_the_rows_with_their_diacritics():
    table = job.rows(UNITS, ACCOUNTS, {}, {}, {}, AT)
    answer = job.report(table, "Quý 3/2025", "gialai.gov.vn", datetime.date(2025, 7, 1), datetime.date(2025, 10, 1))
    assert list(answer) == ["csv", "html", "rows"]
    rows = list(csv.DictReader(io.StringIO(answer["csv"])))
    assert [c for c, _ in job.COLUMNS] == list(rows[0]) and rows[-1]["unit_name"] == "Tổng cộng"
    page = answer["html"]
    assert "<title>Quý 3/2025 — gialai.gov.vn</title>" in page
    assert "từ ngày 01/07/2025 đến ngày 30/09/2025" in page
    assert page.count("<svg") == 4 and page.count("<tr>") == 1 + len(table)
    assert "<td>Sở Tài nguyên và Môi trường</td>" in page
    assert json.loads(json.dumps(answer, ensure_ascii=False))["rows"] == table


def test_sizes_are_shown_in_binary_units():
    assert [job.size(v) for v in (512, 2048, 5 << 20, 3 << 30)] == ["512 B", "2.0 KiB", "5.0 MiB", "3.0 GiB"]


class FakeConnection:
    """The directory as mailgov.ldap.Connection answers: {dn: {attribute: [values]}} under a base."""

    def __init__(self, entries):
        self.entries = entries

    def search(self, base, scope="sub", filterstr="(objectClass=*)", attrs=None):
        return {dn: e for dn, e in self.entries.items() if dn.endswith("," + base)}


def test_the_job_reads_the_directory_and_prints_json(monkeypatch, capsys, tmp_path):
    base = "dc=gialai,dc=gov,dc=vn"
    conn = FakeConnection({
        f"ou=stnmt,ou=units,{base}": {"mailUnit": ["stnmt"], "displayName": ["Sở Tài nguyên và Môi trường"]},
        f"uid=GL-0009,ou=people,{base}": {"mail": ["huy.pq@gialai.gov.vn"], "mailUnit": ["stnmt"],
                                          "mailKind": ["person"], "mailStatus": ["active"], "mailQuota": ["1024"]},
        f"cn=stnmt,ou=mailboxes,{base}": {"mail": ["stnmt@gialai.gov.vn"], "mailUnit": ["stnmt"],
                                          "mailKind": ["unit"], "mailStatus": ["recalled"]},
    })
    monkeypatch.setattr(job, "Connection", lambda: conn)
    asked = []
    monkeypatch.setattr(job, "quota_use", lambda addresses: asked.extend(addresses) or {"huy.pq@gialai.gov.vn": 512})
    monkeypatch.setattr(job, "logins", lambda start, end: {"huy.pq@gialai.gov.vn": 3})
    job.main(["--base-dn", base, "--domain", "gialai.gov.vn", "--start", "2025-07-01", "--end", "2025-10-01",
              "--title", "Quý 3/2025", "--last-login-file", str(tmp_path / "none")])
    answer = json.loads(capsys.readouterr().out)
    assert asked == ["huy.pq@gialai.gov.vn"]  # no quota asked of a recalled mailbox
    stnmt, total = answer["rows"]
    assert stnmt["unit_name"] == "Sở Tài nguyên và Môi trường" and stnmt["quota_used_bytes"] == 512
    assert (stnmt["person_mailboxes"], stnmt["unit_mailboxes"], stnmt["recalled"], stnmt["logins"]) == (1, 1, 1, 3)
    assert "Quý 3/2025" in answer["html"] and answer["csv"].startswith("unit,unit_name,")
