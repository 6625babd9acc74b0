"""playbooks/notify.yml against the instance: a notice for one unit reaches its people (and the
units below it) over IMAP, in Vietnamese, and nobody else; a window too close is refused and
nothing is sent."""

import datetime
import email
import email.policy
import uuid

from conftest import fetch_by_subject, playbook, set_password, testinfra_hosts
from mailgov.workdays import nth_working_day

__all__ = ["testinfra_hosts"]


def window(days):
    """A two-hour window from 22:00 on the days-th working day after today."""
    start = datetime.datetime.combine(nth_working_day(datetime.date.today(), days), datetime.time(22, 0))
    return start, start + datetime.timedelta(hours=2)


def notify(start, end, affected, *units, check=True):
    args = ["-e", f'notify_start="{start:%Y-%m-%d %H:%M}"', "-e", f'notify_end="{end:%Y-%m-%d %H:%M}"',
            "-e", f'notify_affected="{affected}"']
    if units:
        args += ["-e", '{"notify_units": [%s]}' % ", ".join(f'"{u}"' for u in units)]
    return playbook("notify.yml", *args, check=check)


def test_a_window_too_close_is_refused_and_a_units_notice_reaches_only_its_people(host, server, tls):
    truong = set_password(host, "GL-0027")  # Văn phòng Sở, below Sở Thông tin và Truyền thông
    dung = set_password(host, "GL-0030")  # Sở Nội vụ
    early_start, early_end = window(2)
    refused = notify(early_start, early_end, "Gửi quá sớm", "stttt", check=False)
    assert refused.returncode != 0
    assert f"the window starts on {early_start:%Y-%m-%d}" in refused.stdout
    earliest = nth_working_day(datetime.date.today(), 3)
    assert f"Move the start to {earliest:%Y-%m-%d}" in refused.stdout and "nothing was sent" in refused.stdout

    tag = uuid.uuid4().hex[:10]
    start, end = window(3)
    affected = f"Thư điện tử và webmail tạm ngừng hoạt động ({tag})"
    result = notify(start, end, affected, "stttt")
    assert "changed=1" in result.stdout
    subject = f"Thông báo bảo trì hệ thống thư điện tử từ 22:00 ngày {start:%d/%m/%Y}"
    found = [email.message_from_bytes(m, policy=email.policy.default)
             for m in fetch_by_subject(server, tls, truong.address, truong.password, subject, wait=30)]
    found = [m for m in found if tag in m.get_content()]
    assert len(found) == 1
    msg = found[0]
    assert str(msg["Subject"]) == subject
    body = msg.get_content()
    assert body.startswith("Kính gửi quý đồng chí,")
    assert f"Bắt đầu: 22:00 {['Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu'][start.weekday()]}" in body
    assert f"ngày {end:%d/%m/%Y}" in body and f"Ảnh hưởng: {affected}" in body
    # The unit mailbox got it too; Sở Nội vụ did not; the refused notice went nowhere.
    assert host.run("grep -rlF %s /var/vmail/gialai.gov.vn/stttt/Maildir", msg["Message-ID"]).rc == 0
    assert fetch_by_subject(server, tls, dung.address, dung.password, subject, wait=0) == []
    assert "TASK [Mail the notice]" not in refused.stdout
    early = f"Thông báo bảo trì hệ thống thư điện tử từ 22:00 ngày {early_start:%d/%m/%Y}"
    assert fetch_by_subject(server, tls, truong.address, truong.password, early, wait=0) == []
