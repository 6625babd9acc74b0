"""Helpers shared by the tests of every scenario."""

import json
import os
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))


def rendered_vars(host_name, names):
    """Variables of an inventory host as Ansible renders them.

    The inventory holds templates (mail_domain comes from the roster, secrets from lookups);
    `ansible-inventory` shows them unrendered, so ask Ansible itself. The playbook directory
    is the one of site.yml, for the lookups that depend on it.
    """
    expression = "{{ {" + ", ".join(f"'{name}': {name}" for name in names) + "} | to_json }}"
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    result = subprocess.run(
        ["ansible", host_name, "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         "--playbook-dir", str(PROJECT / "playbooks"),
         "-m", "ansible.builtin.debug", "-a", json.dumps({"msg": expression})],
        env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    task = json.loads(result.stdout)["plays"][0]["tasks"][0]
    return json.loads(task["hosts"][host_name]["msg"])


@pytest.fixture(scope="module")
def render(host):
    """render('a', 'b') gives {'a': ..., 'b': ...} for the host under test."""
    return lambda *names: rendered_vars(host.backend.name, names)
