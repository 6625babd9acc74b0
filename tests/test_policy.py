"""Policies are data: presets, overrides and site policies, checked before use."""

import pytest
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
