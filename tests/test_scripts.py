"""The preflight must stop with one clear sentence, never a trace, when containers cannot run."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PREFLIGHT = ROOT / "scripts" / "preflight.sh"
BASH = "/bin/bash"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the preflight first checks for root")


def run_preflight(path_dir, *args, **env):
    return subprocess.run(
        [BASH, str(PREFLIGHT), *args],
        env={"PATH": str(path_dir), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def assert_one_sentence(result, *words):
    assert result.returncode != 0
    assert result.stdout == ""
    message = result.stderr.rstrip("\n")
    assert "\n" not in message, result.stderr
    assert message.startswith("mailgov: ")
    assert message.endswith(".")
    for word in words:
        assert word in message


def test_podman_missing(tmp_path):
    # An empty PATH: the script must get by on bash builtins until it finds podman.
    result = run_preflight(tmp_path, CONTAINERS_CONF=str(ROOT / "containers.conf"))
    assert_one_sentence(result, "podman is not installed", "make setup")


def fake_podman(tmp_path, body):
    podman = tmp_path / "podman"
    podman.write_text(f"#!/bin/sh\n{body}\n")
    podman.chmod(0o755)
    return tmp_path


def test_containers_conf_missing(tmp_path):
    result = run_preflight(fake_podman(tmp_path, "exit 0"))
    assert_one_sentence(result, "CONTAINERS_CONF", "make")


def test_podman_broken(tmp_path):
    broken = 'echo "Error: cannot set up the runtime" >&2\necho "more detail" >&2\nexit 125'
    result = run_preflight(fake_podman(tmp_path, broken), CONTAINERS_CONF=str(ROOT / "containers.conf"))
    assert_one_sentence(result, "podman does not work", "more detail")


def test_container_cannot_start(tmp_path):
    body = 'case "$1" in run) echo "Error: crun: setrlimit RLIMIT_NOFILE" >&2; exit 126 ;; esac'
    result = run_preflight(
        fake_podman(tmp_path, body), "localhost/mailgov-base:trixie", CONTAINERS_CONF=str(ROOT / "containers.conf")
    )
    assert_one_sentence(result, "cannot start a container", "setrlimit")
