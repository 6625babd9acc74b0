"""A benchmark's own mail server: a systemd container set up by playbooks/site.yml.

Shared by the benchmarks that need the real stack. The container is made from the
project's trixie base image, gets the demo inventory's variables (the host itself comes
from a generated inventory, so each benchmark can have a container of its own), and is
removed by `remove` unless the benchmark is asked to keep it.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "localhost/mailgov-base:trixie"
HOSTNAME = "mail.gialai.gov.vn"
INVENTORY = """mailservers:
  hosts:
    {name}:
      ansible_connection: containers.podman.podman
      ansible_python_interpreter: /usr/bin/python3
"""


def run(command, **kwargs):
    return subprocess.run(command, check=True, cwd=ROOT, **kwargs)


class Container:
    """A named container running systemd, and playbooks run against it."""

    def __init__(self, name, workdir):
        self.name = name
        self.inventory = Path(workdir) / "bench-inventory"
        self.inventory.mkdir()
        (self.inventory / "hosts.yml").write_text(INVENTORY.format(name=name), encoding="utf-8")

    def roster(self, roster):
        """Give the server this roster ({"mail_roster": ...}) where a site keeps its own.

        In the inventory's group_vars, over the demo's, rather than as extra variables, which
        Ansible deep-copies twice on every run.
        """
        group_vars = self.inventory / "group_vars" / "mailservers"
        group_vars.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(roster, allow_unicode=True, sort_keys=False)
        (group_vars / "roster.yml").write_text(text, encoding="utf-8")

    def podman(self, *args, capture=False):
        result = run(["podman", *args], capture_output=capture, text=True)
        return result.stdout if capture else None

    def attempt(self, *args):
        """A podman command that may fail: its exit status and output."""
        result = subprocess.run(["podman", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return result.returncode, result.stdout.strip()

    def exec(self, script, *args, capture=False, stdin=None, privileged=False):
        """Run a bash script in the container; its stdout when capture is set.

        privileged: with every capability, CAP_SYS_PTRACE among them, which reading the memory
        maps (/proc/PID/smaps_rollup) of processes of other users takes.
        """
        command = ["podman", "exec", *(["-i"] if stdin is not None else []),
                   *(["--privileged"] if privileged else []), self.name, "bash", "-c", script, "bash", *args]
        result = run(command, input=stdin, capture_output=capture, text=True)
        return result.stdout if capture else None

    def start(self):
        """Make and boot the container unless it exists already, then wait for systemd."""
        if self.attempt("container", "exists", self.name)[0] != 0:
            self.podman("run", "--detach", "--name", self.name, "--hostname", HOSTNAME, "--systemd=always",
                        IMAGE, "/sbin/init", capture=True)
        for _ in range(60):
            state = self.attempt("exec", self.name, "systemctl", "is-system-running")[1]
            if state in ("running", "degraded"):
                return
            time.sleep(1)

    def playbook(self, *args):
        """Run ansible-playbook against the container alone; the seconds it took."""
        env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
        start = time.perf_counter()
        run([str(ROOT / ".venv/bin/ansible-playbook"), "-i", "inventories/demo", "-i", str(self.inventory),
             "--limit", self.name, *args], stdout=subprocess.DEVNULL, env=env)
        return time.perf_counter() - start

    def set_up(self, password_dir, *extra_vars):
        """The whole stack of playbooks/site.yml, initial passwords written under password_dir.

        extra_vars: more `-e` arguments (JSON or key=value), over the demo inventory's.
        """
        print("setting up the mail server in", self.name, file=sys.stderr)
        self.playbook("playbooks/site.yml", "-e", f"accounts_password_dir={password_dir}",
                      *(arg for value in extra_vars for arg in ("-e", value)))

    def remove(self):
        self.podman("rm", "--force", self.name, capture=True)
