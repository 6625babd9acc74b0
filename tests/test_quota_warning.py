"""Dovecot's quota warning mail, without Dovecot: roles/dovecot/files/dovecot-quota-warning.py,
which renders mailgov/templates/quota-warning.txt with mailgov.notify."""

import email
import email.policy
import importlib.util
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PATH = ROOT / "roles/dovecot/files/dovecot-quota-warning.py"
_spec = importlib.util.spec_from_file_location("dovecot_quota_warning", PATH)
quota = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quota)

SENDER = "postmaster@gialai.gov.vn"
SENDER_NAME = "Quản trị hệ thống thư điện tử"
ADDRESS = "tienminhth.stttt@gialai.gov.vn"


def body(address, percent):
    return (
        f"Hộp thư {address} đã dùng {percent}% dung lượng cho phép.\n\n"
        "Khi hộp thư đầy, thư gửi đến sẽ không được nhận. Xin hãy xoá bớt thư cũ, nhất là thư có "
        "tệp đính kèm lớn, và dọn thư mục Thùng rác (Trash), hoặc đề nghị quản trị viên tăng "
        "dung lượng hộp thư.\n\n"
        "Thư này được gửi tự động; xin đừng trả lời.\n"
    )


@pytest.fixture
def config(tmp_path):
    """The settings as the role writes them (UTF-8 JSON, diacritics unescaped), read back by the script."""
    path = tmp_path / "quota-warning.json"
    path.write_text(json.dumps({"sender": SENDER, "sender_name": SENDER_NAME}, indent=4, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return quota.load_config(path)


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.parametrize("percent", ["80", "95"])
def test_the_warning_round_trips_in_vietnamese(config, percent):
    msg = parse(quota.warning(percent, ADDRESS, config))
    (sender,) = msg["From"].addresses
    assert sender.display_name == SENDER_NAME
    assert sender.addr_spec == SENDER
    assert msg["To"].addresses[0].addr_spec == ADDRESS
    assert str(msg["Subject"]) == f"Cảnh báo: hộp thư của bạn đã dùng {percent}% dung lượng"
    assert msg.get_content() == body(ADDRESS, percent)
    assert msg.get_content_charset() == "utf-8"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].endswith("@gialai.gov.vn>")


def test_no_header_line_is_longer_than_78_characters(config):
    raw = quota.warning("95", ADDRESS, config)
    headers = raw.split(b"\n\n", 1)[0].split(b"\n")
    assert len(headers) > 1
    assert all(len(line) <= 78 for line in headers), [line for line in headers if len(line) > 78]
    assert all(line.isascii() for line in headers)


def test_main_delivers_with_the_sender_of_the_settings(config, monkeypatch):
    calls = []
    monkeypatch.setattr(quota, "load_config", lambda: config)
    monkeypatch.setattr(quota.subprocess, "run", lambda cmd, **kwargs: calls.append((cmd, kwargs)))
    monkeypatch.setattr(quota.sys, "argv", ["dovecot-quota-warning", "80", ADDRESS])
    quota.main()
    ((cmd, kwargs),) = calls
    assert cmd == [quota.LDA, "-d", ADDRESS, "-f", SENDER, "-o", "quota_enforce=no"]
    assert kwargs["check"] is True
    assert str(parse(kwargs["input"])["Subject"]) == "Cảnh báo: hộp thư của bạn đã dùng 80% dung lượng"


def test_the_role_writes_the_settings_where_the_script_reads_them():
    role_vars = yaml.safe_load((ROOT / "roles/dovecot/vars/main.yml").read_text(encoding="utf-8"))
    assert role_vars["dovecot_quota_warning_config"] == quota.CONFIG
    tasks = yaml.safe_load((ROOT / "roles/dovecot/tasks/main.yml").read_text(encoding="utf-8"))
    (task,) = [t for t in tasks if t["name"] == "Write the sender of the quota warnings"]
    copy = task["ansible.builtin.copy"]
    assert copy["dest"] == "{{ dovecot_quota_warning_config }}"
    assert "'sender': dovecot_quota_warning_from," in copy["content"]
    assert "'sender_name': dovecot_quota_warning_from_name}" in copy["content"]
