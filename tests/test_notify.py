"""The Vietnamese mails (mailgov.notify, mailgov/templates/*.txt), parsed back as a reader would."""

import datetime
import email
import email.header
import email.policy
import importlib.machinery
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from mailgov import notify
from mailgov.jobs import notice

ROOT = Path(__file__).resolve().parents[1]
SENDER = "postmaster@gialai.gov.vn"
ADMIN = "Quản trị hệ thống thư điện tử"
REQUIRED = ("From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "MIME-Version", "Content-Type")
START = datetime.datetime(2025, 7, 12, 22, 0)
END = datetime.datetime(2025, 7, 13, 2, 0)

# template, values, To (address, display name), the subject the reader must see
CASES = {
    "quota-warning": (
        {"percent": "95", "address": "tienminhth.stttt@gialai.gov.vn"},
        ("tienminhth.stttt@gialai.gov.vn", None),
        "Cảnh báo: hộp thư của bạn đã dùng 95% dung lượng",
    ),
    "password-expiry": (
        {"name": "Nguyễn Thị Hồng Nhung", "address": "nhungnth.snv@gialai.gov.vn", "date": "01/04/2025",
         "left": 10, "max_age_days": 90},
        ("nhungnth.snv@gialai.gov.vn", "Nguyễn Thị Hồng Nhung"),
        "Nhắc nhở: mật khẩu hộp thư sẽ hết hạn vào ngày 01/04/2025",
    ),
    "maintenance-notice": (
        {"domain": "gialai.gov.vn", "start_time": "22:00", "start_date": "12/07/2025",
         "start": "22:00 Thứ Bảy, ngày 12/07/2025", "end": "02:00 Chủ nhật, ngày 13/07/2025",
         "affected": "Thư điện tử và webmail của Sở Thông tin và Truyền thông tạm ngừng", "sender_name": ADMIN},
        ("undisclosed-recipients:;", None),
        "Thông báo bảo trì hệ thống thư điện tử từ 22:00 ngày 12/07/2025",
    ),
    "backup-failed": (
        {"host": "mail.gialai.gov.vn", "what": "Kiểm tra kho sao lưu phát hiện lỗi",
         "unit": "mailgov-backup-check.service", "time": "04:31 ngày 13/07/2025",
         "journal": "2025-07-13T04:31:02+0700 restic[812]: Fatal: pack 1234 damaged"},
        ("postmaster@gialai.gov.vn", None),
        "[mail.gialai.gov.vn] Kiểm tra kho sao lưu phát hiện lỗi",
    ),
}


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def header_lines(raw):
    return raw.split(b"\n\n", 1)[0].decode("utf-8").split("\n")


def assert_well_formed(raw, smtputf8=False):
    lines = header_lines(raw)
    assert all(len(line) <= 78 for line in lines), [line for line in lines if len(line) > 78]
    if not smtputf8:
        assert raw.isascii(), "headers and body must be 7-bit"
    msg = parse(raw)
    for name in REQUIRED:
        assert msg[name] is not None, name
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("gialai.gov.vn>")
    assert msg.get_content_charset() == "utf-8"
    # Python's parser calls raw UTF-8 in an address a defect (it predates RFC 6532); it reads it right.
    assert smtputf8 or not (msg.defects or any(msg[name].defects for name in REQUIRED))
    return msg


def render(name, smtputf8=False):
    values, (to, to_name), _ = CASES[name]
    return notify.render(name, values, sender=SENDER, sender_name=ADMIN, to=to, to_name=to_name,
                         smtputf8=smtputf8, domain="gialai.gov.vn")


@pytest.mark.parametrize("smtputf8", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_template_round_trips_in_vietnamese(name, smtputf8):
    values, (to, to_name), subject = CASES[name]
    raw = render(name, smtputf8)
    msg = assert_well_formed(raw, smtputf8)
    assert str(msg["Subject"]) == subject
    assert (f"Subject: {subject}".encode() in raw) == smtputf8
    (sender,) = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (ADMIN, SENDER)
    if to_name:
        assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [(to_name, to)]
    _, body = notify.fill(name, values)
    assert msg.get_content() == body
    for value in values.values():
        assert str(value) in body or str(value) in subject


def test_the_templates_are_whole_and_composed_as_the_files_say():
    for path in (ROOT / "mailgov/templates").glob("*.txt"):
        assert path.stem in CASES, f"{path.name} has no test"
    subject, body = notify.fill("password-expiry", CASES["password-expiry"][0])
    assert body.startswith("Kính gửi Nguyễn Thị Hồng Nhung,\n\nMật khẩu của hộp thư nhungnth.snv@gialai.gov.vn sẽ")
    assert body.endswith("Thư này được gửi tự động; xin đừng trả lời.\n")
    with pytest.raises(ValueError, match=r"no value for \$\{left\}"):
        notify.fill("password-expiry", {"name": "An", "address": "a@b", "date": "1", "max_age_days": 90})


def test_a_long_subject_keeps_every_space_across_its_folds():
    subject = "Nhắc nhở: mật khẩu hộp thư sẽ hết hạn " * 6 + "ở Ủy ban nhân dân xã Ia Grai"
    name = "Ban Chỉ huy Quân sự và Phòng cháy, chữa cháy tỉnh Gia Lai (đơn vị mới)"
    raw = notify.compose(subject, "Nội dung.\n", SENDER, "anv.snv@gialai.gov.vn", sender_name=name,
                         to_name=name)
    assert len(header_lines(raw)) > 6
    msg = assert_well_formed(raw)
    assert str(msg["Subject"]) == subject
    # A name too long for one encoded word: Python's address parser keeps the fold between two
    # encoded words as a space, which RFC 2047 (6.2) and the mail clients drop; read it as they do.
    for header in ("From", "To"):
        (line,) = [h for h in raw.decode().replace("\n ", " ").split("\n") if h.startswith(f"{header}: ")]
        phrase = line.removeprefix(f"{header}: ").rpartition(" <")[0]
        assert str(email.header.make_header(email.header.decode_header(phrase))) == name


def test_ascii_display_names_are_quoted_when_they_must_be():
    raw = notify.compose("Test", "x", SENDER, "a@gialai.gov.vn", sender_name="Phong Hanh chinh, So Noi vu",
                         to_name="Nguyen V. An")
    msg = assert_well_formed(raw)
    assert msg["From"].addresses[0].display_name == "Phong Hanh chinh, So Noi vu"
    assert msg["To"].addresses[0].display_name == "Nguyen V. An"


def test_a_value_cannot_add_a_header():
    raw = notify.compose("Bảo trì\nBcc: ai@example.com", "x", SENDER, "a@gialai.gov.vn",
                         sender_name="Quản trị\r\nX-Evil: 1")
    msg = assert_well_formed(raw)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert str(msg["Subject"]) == "Bảo trì Bcc: ai@example.com"


def test_text_that_looks_encoded_is_encoded_itself():
    raw = notify.compose("=?utf-8?b?SGk=?= stays", "x", SENDER, "a@gialai.gov.vn", smtputf8=True)
    assert str(assert_well_formed(raw, smtputf8=True)["Subject"]) == "=?utf-8?b?SGk=?= stays"


# --- send ------------------------------------------------------------------------------------


def fake_sendmail(tmp_path, code=0, stderr=""):
    script = tmp_path / "sendmail"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(tmp_path / 'calls')!r}, 'a').write(json.dumps([sys.argv[1:], sys.stdin.read()]) + '\\n')\n"
        f"sys.stderr.write({stderr!r})\nsys.exit({code})\n")
    script.chmod(0o755)
    return str(script)


def calls(tmp_path):
    path = tmp_path / "calls"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_send_hands_the_message_to_sendmail(tmp_path):
    raw = render("quota-warning")
    notify.send(raw, SENDER, ["a@gialai.gov.vn", "-b@gialai.gov.vn"], sendmail=fake_sendmail(tmp_path))
    ((argv, stdin),) = calls(tmp_path)
    assert argv == ["-i", "-f", SENDER, "--", "a@gialai.gov.vn", "-b@gialai.gov.vn"]
    assert stdin.encode() == raw


def test_send_says_why_sendmail_refused(tmp_path):
    sendmail = fake_sendmail(tmp_path, code=75, stderr="postdrop: warning: unable to look up public/pickup\n")
    with pytest.raises(notify.SendError, match="exit code 75.*unable to look up public/pickup"):
        notify.send(b"x", SENDER, ["a@gialai.gov.vn"], sendmail=sendmail)
    with pytest.raises(notify.SendError, match="cannot run"):
        notify.send(b"x", SENDER, ["a@gialai.gov.vn"], sendmail=str(tmp_path / "missing"))


# --- the maintenance notice job ------------------------------------------------------------------

BASE = "dc=gialai,dc=gov,dc=vn"
UNITS = {
    f"ou=stttt,ou=units,{BASE}": {"mailUnit": ["stttt"]},
    f"ou=vp,ou=stttt,ou=units,{BASE}": {"mailUnit": ["vp"]},
    f"ou=snv,ou=units,{BASE}": {"mailUnit": ["snv"]},
}
ACCOUNTS = {
    f"uid=GL-1,{BASE}": {"mail": ["TruongLV.vp@gialai.gov.vn"], "mailUnit": ["vp"]},
    f"uid=GL-2,{BASE}": {"mail": ["stttt@gialai.gov.vn"], "mailUnit": ["stttt"]},
    f"uid=GL-3,{BASE}": {"mail": ["dungpt.snv@gialai.gov.vn"], "mailUnit": ["snv"]},
}


def rdn(dn, base):
    return [part.split("=", 1)[1] for part in dn[: -len(base) - 1].split(",")]


class Directory:
    def search(self, base, scope, filterstr, attrs):
        return UNITS if base.startswith("ou=units,") else ACCOUNTS


def run_notice(capsys, *extra):
    argv = ["--base-dn", BASE, "--domain", "gialai.gov.vn", "--sender", SENDER, "--start", "2025-07-12 22:00",
            "--end", "2025-07-13 02:00", "--affected", "Webmail tạm ngừng; $HOME giữ nguyên", *extra]
    code = notice.main(argv, connect=Directory, rdn=rdn)
    return code, json.loads(capsys.readouterr().out)


def test_a_notice_for_a_unit_reaches_it_and_the_units_below(capsys, tmp_path):
    code, report = run_notice(capsys, "--unit", "stttt", "--sendmail", fake_sendmail(tmp_path))
    assert code == 0
    assert report == {"recipients": ["stttt@gialai.gov.vn", "truonglv.vp@gialai.gov.vn"], "sent": 2,
                      "subject": "Thông báo bảo trì hệ thống thư điện tử từ 22:00 ngày 12/07/2025"}
    ((argv, stdin),) = calls(tmp_path)
    assert argv[-2:] == report["recipients"]
    msg = assert_well_formed(stdin.encode())
    assert msg["To"] == "undisclosed-recipients:;"
    body = msg.get_content()
    assert "- Bắt đầu: 22:00 Thứ Bảy, ngày 12/07/2025\n- Kết thúc dự kiến: 02:00 Chủ nhật, ngày 13/07/2025" in body
    assert "- Ảnh hưởng: Webmail tạm ngừng; $HOME giữ nguyên\n" in body
    assert body.endswith(f"\n{ADMIN}\n")


def test_a_dry_run_lists_everyone_and_sends_nothing(capsys, tmp_path):
    code, report = run_notice(capsys, "--dry-run", "--sendmail", fake_sendmail(tmp_path))
    assert code == 0 and report["sent"] == 0 and len(report["recipients"]) == 3
    assert calls(tmp_path) == []


def test_an_unknown_unit_sends_nothing(capsys, tmp_path):
    with pytest.raises(SystemExit, match="unknown units: sxd; known: snv, stttt, vp; nothing was sent"):
        run_notice(capsys, "--unit", "sxd", "--sendmail", fake_sendmail(tmp_path))
    assert calls(tmp_path) == []


def test_a_refused_batch_is_reported_with_what_was_sent(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(notice, "BATCH", 2)
    sendmail = fake_sendmail(tmp_path, code=1, stderr="sendmail: fatal: no space left\n")
    code, report = run_notice(capsys, "--sendmail", sendmail)
    assert code == 1 and report["sent"] == 0 and "no space left" in report["error"]


# --- the backup failure mail ---------------------------------------------------------------------


def test_the_backup_failure_mail_is_the_template(tmp_path):
    loader = importlib.machinery.SourceFileLoader("mailgov_backup", str(ROOT / "roles/backup/files/mailgov-backup"))
    backup = importlib.util.module_from_spec(importlib.util.spec_from_loader("mailgov_backup", loader))
    loader.exec_module(backup)
    config = {"host": "mail.gialai.gov.vn", "notify_to": SENDER, "notify_from": SENDER}
    msg = assert_well_formed(backup.failure_mail(config, "mailgov-backup.service", "Fatal: không kết nối được"))
    assert str(msg["Subject"]) == "[mail.gialai.gov.vn] Sao lưu dữ liệu thư điện tử không thành công"
    assert msg["From"].addresses[0].display_name == "Hệ thống sao lưu thư điện tử"
    assert "Nhật ký lần chạy vừa rồi:\n\nFatal: không kết nối được\n\n" in msg.get_content()
