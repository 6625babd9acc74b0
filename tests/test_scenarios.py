"""scripts/scenarios.py: the stack image's digest follows what shapes the converge, and the
table of times is read from Molecule's own output."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("scenarios", ROOT / "scripts" / "scenarios.py")
scenarios = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scenarios)

BASE_ID = "4f1c" * 16


@pytest.fixture
def tree(tmp_path):
    files = {
        "roles/dovecot/templates/dovecot.conf.j2": "mail_home = /var/vmail/%{user | domain}\n",
        "roles/dovecot/README.md": "# dovecot\n",
        "roles/dovecot/tasks/__pycache__/x.cpython-311.pyc": "cache",
        "playbooks/site.yml": "---\n",
        "requirements.txt": "ansible==12.3.0\n",
        "molecule/mail/tests/test_delivery.py": "def test(): pass\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


INPUTS = ["roles", "playbooks", "requirements.txt"]


def digest(tree, base_id=BASE_ID):
    return scenarios.inputs_digest(tree, base_id, INPUTS)


def test_the_digest_is_stable(tree):
    assert digest(tree) == digest(tree)


@pytest.mark.parametrize("change", [
    lambda t: (t / "roles/dovecot/templates/dovecot.conf.j2").write_text(
        "mail_home = /srv/vmail/%{user | domain}\n", encoding="utf-8"),
    lambda t: (t / "roles/dovecot/templates/new.j2").write_text("x\n", encoding="utf-8"),
    lambda t: (t / "roles/dovecot/templates/dovecot.conf.j2").rename(t / "roles/dovecot/templates/other.j2"),
    lambda t: (t / "requirements.txt").write_text("ansible==12.3.1\n", encoding="utf-8"),
], ids=["one line of a template", "a new file", "a renamed file", "a pin"])
def test_what_shapes_the_converge_changes_the_digest(tree, change):
    before = digest(tree)
    change(tree)
    assert digest(tree) != before


def test_a_new_base_image_changes_the_digest(tree):
    assert digest(tree, "0" * 64) != digest(tree)


@pytest.mark.parametrize("change", [
    lambda t: (t / "roles/dovecot/README.md").write_text("# dovecot, explained\n", encoding="utf-8"),
    lambda t: (t / "roles/dovecot/tasks/__pycache__/x.cpython-311.pyc").write_text("other", encoding="utf-8"),
    lambda t: (t / "molecule/mail/tests/test_delivery.py").write_text("def test(): assert 1\n", encoding="utf-8"),
], ids=["documentation", "a Python cache", "a test"])
def test_what_does_not_shape_it_keeps_the_digest(tree, change):
    before = digest(tree)
    change(tree)
    assert digest(tree) == before


def test_the_real_inputs_exist():
    """A renamed directory would silently drop out of the digest."""
    missing = [name for name in scenarios.STACK_INPUTS if not (ROOT / name).exists()]
    assert missing == []


# Lines as Molecule 26 and pytest print them (colours included).
OUTPUT = [
    (0, "\x1b[36mINFO    \x1b[0m \x1b[32mmail\x1b[0m ➜ \x1b[33mcreate\x1b[0m: \x1b[36mExecuting\x1b[0m"),
    (9, "INFO     mail ➜ create: Executed: Successful"),
    (9, "INFO     mail ➜ prepare: Executing"),
    (21, "INFO     mail ➜ prepare: Executed: Successful"),
    (21, "INFO     mail ➜ verify: Executing"),
    (22, "  │ ======= 40 passed, 1 skipped, 1 xfailed in 200.51s (0:03:20) ======="),
    (230, "INFO     mail ➜ verify: Executed: Successful"),
    (230, "INFO     other ➜ destroy: Executing"),
    (231, "INFO     mail ➜ destroy: Executing"),
    (236, "INFO     mail ➜ destroy: Executed: Successful"),
]


def test_the_steps_and_counts_come_from_the_output():
    run = scenarios.Run("mail")
    started = {}
    for now, line in OUTPUT:
        run.read(line, now, started)
    assert run.seconds == {"create": 21, "verify": 209, "destroy": 5}
    assert run.counts == {"passed": 40, "skipped": 1, "xfailed": 1}


def test_a_failed_run_counts_its_failures():
    run = scenarios.Run("filter")
    run.read("=========== 2 failed, 14 passed in 99.10s (0:01:39) ===========", 0, {})
    assert run.counts == {"failed": 2, "passed": 14}


def test_the_table_has_every_step_and_the_totals():
    runs = [scenarios.Run("default", "built", {"create": 12, "converge": 431, "idempotence": 255,
                                                "side_effect": 40, "verify": 300, "destroy": 5},
                          {"passed": 79, "skipped": 1}),
            scenarios.Run("mail", "stack", {"create": 21, "verify": 209, "destroy": 5}, {"passed": 41}, ok=False)]
    lines = scenarios.table(runs, before=180).splitlines()
    assert [cell.strip() for cell in lines[0].split("|")] == ["scenario", "image", *scenarios.COLUMNS, "tests", "total"]
    assert [cell.strip() for cell in lines[2].split("|")] == [
        "default", "built", "0:12", "7:11", "4:15", "0:40", "5:00", "0:05", "79 passed, 1 skipped", "17:23"]
    assert lines[3].startswith("mail FAILED")
    assert lines[-3].split()[:2] == ["all", "scenarios"] and lines[-3].endswith("21:18")
    assert lines[-1].startswith("in all") and lines[-1].endswith("24:18")


def test_a_scenario_without_a_sequence_of_its_own_takes_the_shared_one():
    assert scenarios.sequence_of("filter") == ["destroy", "create", "prepare", "converge", "verify", "destroy"]
    assert scenarios.sequence_of("mail") == ["destroy", "create", "prepare", "verify", "destroy"]
    assert "idempotence" in scenarios.sequence_of("default")


def test_only_the_builder_and_scenarios_naming_the_base_image_start_from_nothing():
    assert scenarios.starts_from_nothing("default")
    assert not scenarios.starts_from_nothing("mail")
    assert not scenarios.starts_from_nothing("backup")  # its backup host does, its mail server does not


class Actions(list):
    """The actions run_sequence started, with the strategy of each; `fail` names one that fails."""

    fail = None


@pytest.fixture
def done(monkeypatch):
    record = Actions()

    def molecule(run, action, env):
        record.append((action, env.get("ANSIBLE_STRATEGY", "linear")))
        return action != record.fail

    monkeypatch.setattr(scenarios, "molecule", molecule)
    monkeypatch.setattr(scenarios, "mitogen_strategies", lambda: "/plugins")
    return record


def test_only_the_converge_of_a_running_stack_uses_mitogen(done):
    sequence = ["destroy", "create", "prepare", "converge", "verify", "destroy"]
    assert scenarios.run_sequence(scenarios.Run("filter"), sequence, {}, fast={"converge"})
    assert done == [("destroy", "linear"), ("create", "linear"), ("converge", "mitogen_linear"),
                    ("verify", "linear"), ("destroy", "linear")]


def test_the_build_converges_with_ansibles_own_strategy(done):
    sequence = scenarios.sequence_of("default")
    assert scenarios.run_sequence(scenarios.Run("default"), sequence, {}, fast={"idempotence"})
    assert [a for a, s in done if s != "linear"] == ["idempotence"]
    assert [a for a, _ in done] == [a for a in sequence if a != "prepare"]


def test_a_failed_action_destroys_the_instance_and_stops(done):
    done.fail = "converge"
    sequence = ["destroy", "create", "prepare", "converge", "verify", "destroy"]
    assert not scenarios.run_sequence(scenarios.Run("lifecycle"), sequence, {}, fast={"converge"})
    assert [a for a, _ in done] == ["destroy", "create", "converge", "destroy"]
