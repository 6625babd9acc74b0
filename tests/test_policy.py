"""Policies are data: presets, overrides and site policies, checked before use."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mailgov import sizes
from mailgov.accounts import render
from mailgov.errors import RosterError
from mailgov.policy import password_problems, resolve

PEOPLE = [{"id": "a", "name": "Nguyễn Văn An", "unit": "u"}]
UNITS = [{"id": "u", "name": "Sở Nội vụ", "type": "department"}]


def test_a_site_overrides_part_of_a_preset():
    rules = resolve({"preset": "gialai", "quota": {"person": "3G"}, "password": {"min_length": 12}})
    assert rules["quota"] == {"person": "3G", "unit": "5G"}
    assert rules["password"]["min_length"] == 12
    assert rules["password"]["special_characters"] == "!@#%$*&"   # the rest of the preset stays
    assert rules["person"]["address"] == "{name}.{suffix}"


def test_a_site_overrides_the_naming_form():
    roster = {"policy": {"preset": "tphcm_q4", "person": {"name": "{given}{surname_initials}{middle_initials}"}},
              "units": UNITS, "people": PEOPLE}
    assert {a["id"]: a["local_part"] for a in render(roster)}["a"] == "annv.q4"


def test_a_site_writes_its_own_policy_without_python():
    roster = {"policy": {"domain": "sotuphap.example.gov.vn",
                         "person": {"address": "{name}", "name": "{given}.{surname}"}},
              "units": UNITS, "people": PEOPLE}
    assert {a["id"]: a["address"] for a in render(roster)}["a"] == "an.nguyen@sotuphap.example.gov.vn"


@pytest.mark.parametrize("spec, expected", [
    ({"preset": "gialai", "quota": {"persons": "1G"}}, "policy.quota.persons: unknown setting"),
    ({"preset": "gialai", "person": {"name": "{given}{nickname}"}}, "policy.person.name: unknown token {nickname}"),
    ({"preset": "gialai", "person": {"name": "{given}+{surname}"}}, "policy.person.name: text outside tokens"),
    ({"preset": "gialai", "person": {"address": "{given}"}}, "policy.person.address: must contain {name}"),
    ({"preset": "gialai", "person": {"collision": [{"name": "{name}x"}]}}, "the last step must contain {n}"),
    ({"preset": "gialai", "units": {"ward": {"address": ["{abbr}"], "suffix": "{abbr}"}}}, "policy.units.ward: unknown unit type"),
    ({"preset": "gialai", "units": {"district": {"address": "ubnd{place}"}}}, "policy.units.district.address: must be a list"),
    ({"preset": "gialai", "quota": {"unit": "big"}}, "policy.quota.unit: 'big' is not a size"),
    ({"preset": "gialai", "password": {"require": ["emoji"]}}, "policy.password.require: unknown classes ['emoji']"),
    ({"preset": "gialai", "report": {"period": "monthly"}}, "policy.report.period"),
    ({"preset": "gialai", "lifecycle": {"lock_unused_days": 0}}, "policy.lifecycle.lock_unused_days: 0 must be"),
    ({"preset": "gialai", "lifecycle": {"recall_unused_days": "6 months"}}, "recall_unused_days: '6 months' must"),
    ({"preset": "gialai", "lifecycle": {"recall_unused_days": 60}}, "must be longer than lock_unused_days (90)"),
    ({"preset": "gialai", "lifecycle": {"initial_password_grace_days": True}}, "initial_password_grace_days: True"),
    ({"preset": "gialai", "lifecycle": {"reopen_wait_days": -1}}, "policy.lifecycle.reopen_wait_days"),
    ({"preset": "gialai", "lifecycle": {"lock_after": 30}}, "policy.lifecycle.lock_after: unknown setting"),
    ({"preset": "gialai", "password": {"max_age_days": 10}}, "expire_warning_days: 14 must be shorter"),
    ({"preset": "gialai", "password": {"lockout_window_minutes": 0}}, "lockout_window_minutes: 0 must be a whole number of minutes"),
    ({"preset": "gialai", "password": {"grace_logins": "3"}}, "policy.password.grace_logins: '3' must be a whole number"),
    ({"preset": "gialai", "password": {"lockout_failures": -1}}, "policy.password.lockout_failures: -1 must be"),
    ({"preset": "gialai", "logs": {"retention_days": None}}, "policy.logs.retention_days: None must be"),
    ({"person": {"name": "{given}"}}, "policy.domain: None is not a domain"),
    (["gialai"], "policy: must be a preset name or a mapping"),
    (None, "policy: missing"),
])
def test_bad_policies_are_refused(spec, expected):
    with pytest.raises(RosterError) as err:
        resolve(spec)
    assert any(expected in p for p in err.value.problems), err.value.problems


@pytest.mark.parametrize("preset, password, problems", [
    ("gialai", "Matkhou@123", []),                              # the regulation's own example
    ("gialai", "12345678", ["an upper-case letter", "a lower-case letter", "a special character"]),
    ("gialai", "matkhau123", ["an upper-case letter", "a special character"]),
    ("gialai", "Matkhau^123", ["a special character (! @ # % $ * &)"]),  # only the listed ones
    ("gialai", "Mk@1", ["at least 8 characters"]),
    ("gialai", "Mậtkhẩu@123", []),
    ("tphcm_q4", "Matkhau^123", []),                             # "(!, @, #, %, &, ...)": any
    ("tphcm_q4", "Matkhau 123", ["a special character"]),
    ("binhdinh_sct", "Matkhau@abc", []),                         # no digit required
    ("binhdinh_sct", "Matkhauabc", ["a special character"]),
    ("yenbai", "MATKHAU@123", ["a lower-case letter"]),
])
def test_password_problems(preset, password, problems):
    found = password_problems(password, resolve(preset))
    assert len(found) == len(problems)
    for expected, got in zip(problems, found):
        assert expected in got


@pytest.mark.parametrize("preset", ["gialai", "yenbai", "binhdinh_sct", "tphcm_q4", "quangtri_tu"])
def test_initial_passwords_meet_the_policy(preset):
    from mailgov.passwords import derived_password, new_seed
    rules = resolve(preset)
    seed = new_seed()
    drawn = [derived_password(seed, f"GL-{i:04d}", rules["password"]) for i in range(300)]
    assert len(set(drawn)) == 300
    assert all(password_problems(p, rules) == [] for p in drawn)
    assert not set("0O1lI") & set("".join(drawn))


def test_initial_passwords_come_again_from_the_same_seed_only():
    from mailgov.passwords import derived_password
    rules = resolve("gialai")["password"]
    assert derived_password("seed-a", "GL-0001", rules) == derived_password("seed-a", "GL-0001", rules)
    assert derived_password("seed-a", "GL-0001", rules) != derived_password("seed-b", "GL-0001", rules)
    assert derived_password("seed-a", "GL-0001", rules) != derived_password("seed-a", "GL-0002", rules)


@pytest.mark.parametrize("preset, lock, recall, grace, max_age", [
    ("gialai", 90, 180, 30, 90),       # 3 months, 6 months, 1 month
    ("tphcm_q4", 90, 180, 30, 90),     # 3 and 6 months; change every 3 months
    ("yenbai", 90, None, 30, 90),
])
def test_presets_carry_the_lifecycle_periods(preset, lock, recall, grace, max_age):
    rules = resolve(preset)
    life = rules["lifecycle"]
    assert (life["lock_unused_days"], life["recall_unused_days"], life["initial_password_grace_days"],
            rules["password"]["max_age_days"]) == (lock, recall, grace, max_age)


def test_a_site_turns_lifecycle_rules_off():
    rules = resolve({"preset": "gialai", "lifecycle": {"lock_unused_days": None, "recall_unused_days": None},
                     "password": {"max_age_days": None}})
    assert rules["lifecycle"]["lock_unused_days"] is None
    assert rules["password"]["max_age_days"] is None


# The limits one role sets for another: a policy the filter could not scan is refused where the
# policy is read (resolve, so mail_policy, render_accounts and the preview), naming the key.

ROOT = Path(__file__).resolve().parents[1]
WIRING = ROOT / "playbooks" / "group_vars" / "all"
SCANNED = sizes.attachment_max_bytes_scanned()


def test_the_largest_scanned_attachment_fills_the_scan_limit_to_the_byte():
    assert sizes.message_size_limit(SCANNED) <= sizes.scan_max_bytes() < sizes.message_size_limit(SCANNED + 1)
    assert SCANNED // 1024**2 == 72


@pytest.mark.parametrize("attachment_max", ["25M", "15M", "50M", "72M", SCANNED, 0, "1K"])
def test_attachment_limits_the_filter_scans_are_taken(attachment_max):
    assert resolve({"preset": "gialai", "attachment_max": attachment_max}, "a.gov.vn")["attachment_max"] == attachment_max


@pytest.mark.parametrize("attachment_max, message", [
    ("73M", 105795800),
    ("80M", 115840054),
    ("100M", 144537924),
    ("1G", 1470379494),
    (SCANNED + 1, 104857601),
])
def test_attachment_limits_the_filter_cannot_scan_are_refused(attachment_max, message):
    with pytest.raises(RosterError) as err:
        resolve({"preset": "gialai", "attachment_max": attachment_max}, "a.gov.vn")
    [problem] = err.value.problems
    assert problem.startswith(f"policy.attachment_max: {attachment_max!r} is more than the filter can scan")
    assert f"may reach {message} bytes" in problem
    assert "clamav_stream_max_length" in problem and "rspamd_max_message_bytes" in problem
    assert "104857600 bytes (100 MiB)" in problem
    assert problem.endswith("write at most 72M")


@pytest.mark.parametrize("limits, named, absent", [
    ({"CLAMAV_STREAM_MAX_BYTES": 50 * 1024**2}, "(clamav_stream_max_length), 52428800 bytes (50 MiB)",
     "rspamd_max_message_bytes"),
    ({"RSPAMD_MAX_MESSAGE_BYTES": 40 * 1024**2}, "(rspamd_max_message_bytes), 41943040 bytes (40 MiB)",
     "clamav_stream_max_length"),
])
def test_the_refusal_names_the_limit_that_is_passed(monkeypatch, limits, named, absent):
    for name, value in limits.items():
        monkeypatch.setattr(sizes, name, value)
    with pytest.raises(RosterError) as err:
        resolve({"preset": "gialai", "attachment_max": "60M"}, "a.gov.vn")
    [problem] = err.value.problems
    assert named in problem and absent not in problem


@pytest.mark.parametrize("filter_name, expected", [
    ("mail_policy", "mail_policy: the policy has 1 problem"),
    ("render_accounts", "render_accounts: the roster has 1 problem"),
])
def test_the_filters_refuse_a_policy_the_filter_cannot_scan(filter_name, expected):
    from ansible.errors import AnsibleFilterError
    from mail_roster import FilterModule

    roster = {"policy": {"preset": "gialai", "attachment_max": "80M"}, "domain": "a.gov.vn",
              "units": UNITS, "people": PEOPLE}
    with pytest.raises(AnsibleFilterError) as err:
        FilterModule().filters()[filter_name](roster)
    assert expected in str(err.value) and "policy.attachment_max: '80M'" in str(err.value)


def test_the_preview_refuses_a_policy_the_filter_cannot_scan(tmp_path):
    (tmp_path / "group_vars" / "all").mkdir(parents=True)
    (tmp_path / "hosts.yml").write_text("mailservers:\n  hosts:\n    mail1:\n", encoding="utf-8")
    roster = {"mail_roster": {"policy": {"preset": "gialai", "attachment_max": "100M"}, "domain": "a.gov.vn",
                              "units": UNITS, "people": PEOPLE}}
    (tmp_path / "group_vars" / "all" / "roster.yml").write_text(
        yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "preview_accounts.py"), str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 1
    assert "policy.attachment_max: '100M' is more than the filter can scan" in result.stderr


def _role_defaults(role):
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8"))


def _wiring():
    values = {}
    for path in sorted(WIRING.glob("*.yml")):
        values.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return values


@pytest.mark.parametrize("attachment", [0, 1, 1000, 15 * 1024**2, 25 * 1024**2, SCANNED, SCANNED + 1, 10**9])
def test_the_message_size_limit_is_the_postfix_roles_own(attachment):
    """The postfix role derives message_size_limit in Jinja; the package's sum gives the same bytes."""
    jinja2 = pytest.importorskip("jinja2")
    expression = _role_defaults("postfix")["postfix_message_size_limit"]
    rendered = jinja2.Environment().from_string(expression).render(postfix_attachment_max_bytes=attachment)
    assert int(rendered) == sizes.message_size_limit(attachment)


@pytest.mark.parametrize("variable, value", [
    ("clamav_stream_max_length", sizes.CLAMAV_STREAM_MAX_BYTES),
    ("rspamd_max_message_bytes", sizes.RSPAMD_MAX_MESSAGE_BYTES),
    ("mail_pki_dir", _role_defaults("pki")["pki_dir"]),
])
def test_the_wiring_gives_the_roles_the_limits_the_policy_is_checked_against(variable, value):
    assert _wiring()[variable] == value


@pytest.mark.parametrize("inventory", ["demo", "production.example"])
def test_an_inventorys_group_vars_all_sets_nothing_the_wiring_sets(inventory):
    """Playbook group_vars/all outrank the inventory's group_vars/all: a setting there would be
    ignored without a word. A site's own settings go in group_vars/mailservers/ instead."""
    wired = set(_wiring())
    for path in sorted((ROOT / "inventories" / inventory / "group_vars" / "all").glob("*.yml")):
        clash = wired & set(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        assert not clash, f"{path.relative_to(ROOT)} sets {sorted(clash)}, which playbooks/group_vars/all/ sets"
