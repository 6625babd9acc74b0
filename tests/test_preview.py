"""The preview command an administrator runs before applying a roster."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "preview_accounts.py"


def preview(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          cwd=ROOT, check=False)


def test_preview_of_the_demo_inventory():
    result = preview("inventories/demo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "DISPLAY_NAME", "ADDRESS", "UNIT", "QUOTA", "STATUS"]
    quynh = next(line for line in lines if line.startswith("GL-0001 "))
    assert "Hoàng Thị Như Quỳnh" in quynh and "quynhhtn.stttt@gialai.gov.vn" in quynh and "active" in quynh
    assert "ubndhoaphu.chupah@gialai.gov.vn" in result.stdout
    # The hosted domain's accounts follow, by its own rules.
    assert next(line for line in lines if line.startswith("SCT-0002 ")).split()[-4:] == [
        "hungdv@sct.gialai.gov.vn", "sct-qlcn", "2G", "active"]
    assert lines[-1].endswith("unit mailboxes, 35 people")


def test_preview_as_csv_keeps_diacritics():
    result = preview("inventories/demo", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert "GL-0023,Y Ngông Niê Kdăm,ngongnky.iabang@gialai.gov.vn,iabang,2G,active" in result.stdout


def test_preview_with_existing_addresses(tmp_path):
    existing = tmp_path / "existing.yml"
    existing.write_text("GL-0003: minhtht.stttt@gialai.gov.vn\nSCT-0002: hung@sct.gialai.gov.vn\n", encoding="utf-8")
    result = preview("inventories/demo", "--existing", str(existing), "--format", "csv")
    assert "GL-0003,Trương Hoàng Tiến Minh,minhtht.stttt@gialai.gov.vn" in result.stdout
    assert "SCT-0002,Đỗ Văn Hùng,hung@sct.gialai.gov.vn" in result.stdout


def test_preview_reports_every_problem(tmp_path):
    inventory = tmp_path / "inv"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("mailservers:\n  hosts:\n    mail1:\n", encoding="utf-8")
    roster = {"mail_roster": {"policy": "gialai", "units": [
        {"id": "a", "name": "Xã Ia Bang", "type": "commune"},
        {"id": "b", "name": "Xã Ia Băng", "type": "commune"}],
        "people": [{"id": "p", "name": "NguyÔn V¨n B»ng", "unit": "c"}]}}
    (inventory / "group_vars" / "all" / "roster.yml").write_text(
        yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    result = preview(str(inventory))
    assert result.returncode == 1
    assert "has 3 problems" in result.stderr
    assert "people[0].unit: unknown unit 'c'" in result.stderr
    assert "would both get ubndiabang@gialai.gov.vn; set abbr" in result.stderr
    assert result.stdout == ""
