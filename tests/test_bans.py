"""fail2ban's numbers from the lockout of every domain's password policy (mailgov.bans)."""

import pytest
from mailgov import bans
from mailgov.policy import resolve


def policies(*passwords):
    return {f"d{i}.gov.vn": {"password": password} for i, password in enumerate(passwords)}


LOCK = {"lockout_failures": 5, "lockout_window_minutes": 15, "lockout_minutes": 15}


@pytest.mark.parametrize("passwords, expected", [
    # The presets: slapd locks at 5 in 15 minutes, fail2ban bans at 3.
    ([LOCK], {"maxretry": 3, "findtime": 900, "bantime": 3600}),
    # The strictest domain decides the count, the longest window the time counted.
    ([LOCK, dict(LOCK, lockout_failures=3, lockout_window_minutes=60)], {"maxretry": 1, "findtime": 3600, "bantime": 3600}),
    ([dict(LOCK, lockout_failures=10)], {"maxretry": 8, "findtime": 900, "bantime": 3600}),
    # A lock longer than an hour: the ban lasts as long.
    ([dict(LOCK, lockout_minutes=180)], {"maxretry": 3, "findtime": 900, "bantime": 10800}),
    # Failures never forgotten by slapd: fail2ban counts over the longest window it knows.
    ([dict(LOCK, lockout_window_minutes=None)], {"maxretry": 3, "findtime": 900, "bantime": 3600}),
    ([dict(LOCK, lockout_window_minutes=None), dict(LOCK, lockout_window_minutes=30)],
     {"maxretry": 3, "findtime": 1800, "bantime": 3600}),
    # A domain without lockout does not loosen the others; none at all still bans.
    ([LOCK, dict(LOCK, lockout_failures=0)], {"maxretry": 3, "findtime": 900, "bantime": 3600}),
    ([dict(LOCK, lockout_failures=0)], bans.DEFAULT),
])
def test_the_ban_comes_before_the_lockout(passwords, expected):
    assert bans.ban_rule(policies(*passwords)) == expected


@pytest.mark.parametrize("preset", ["gialai", "yenbai", "tphcm_q4", "binhdinh_sct", "quangtri_tu"])
def test_every_preset_bans_before_it_locks(preset):
    rules = resolve(preset, "x.gov.vn")["password"]
    rule = bans.ban_rule({"x.gov.vn": {"password": rules}})
    assert rule["maxretry"] <= rules["lockout_failures"] - bans.MARGIN
    assert rule["findtime"] >= rules["lockout_window_minutes"] * 60
