"""The mail logs are kept six months (Gia Lai): the journal on disk, compressed, rotated."""

from conftest import testinfra_hosts

__all__ = ["testinfra_hosts"]


def test_the_journal_is_kept_on_disk_for_six_months(host):
    config = host.check_output("systemd-analyze cat-config systemd/journald.conf")
    for line in ("Storage=persistent", "Compress=yes", "MaxFileSec=1month", "MaxRetentionSec=180day"):
        assert line in config.splitlines()
    assert host.run("find /var/log/journal -name 'system*.journal' | grep -q .").rc == 0


def test_mail_logs_are_in_the_kept_journal(host):
    # The lifecycle tests delivered mail from outside: Postfix logged it into the journal on disk.
    out = host.check_output("journalctl -q --no-pager -o cat --file='/var/log/journal/*/*.journal' -t postfix/smtpd")
    assert "connect from" in out
