"""Checks of the common role on the Molecule instances (shared by every scenario)."""

import os

import pytest
import testinfra.utils.ansible_runner

_runner = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
_names = _runner.get_hosts("mailservers")

# podman:// talks to the containers directly: testinfra's ansible backend does not
# know Ansible's podman connection and would go through Ansible for every command.
testinfra_hosts = [f"podman://{name}" for name in _names]

VIETNAMESE = "Thư điện tử công vụ: Sở Thông tin và Truyền thông tỉnh Gia Lai"


@pytest.fixture(scope="module")
def inventory_vars(render):
    return render("mail_hostname", "mail_domain")


def test_timezone_is_ho_chi_minh(host):
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Asia/Ho_Chi_Minh"
    assert host.check_output("date +%z") == "+0700"


def test_vietnamese_locale_is_generated(host):
    assert "vi_VN.utf8" in host.check_output("locale -a").splitlines()


def test_default_lang(host):
    assert "LANG=en_US.UTF-8" in host.file("/etc/default/locale").content_string.splitlines()


def test_vietnamese_text_round_trips(host):
    # setlocale() fails when the locale is missing; the text must survive the locale's
    # encoding, the command line and the way back unchanged.
    script = (
        "import locale, sys; locale.setlocale(locale.LC_ALL, ''); "
        "print(locale.getlocale()[1], sys.stdout.encoding, sys.argv[1].upper())"
    )
    cmd = host.run("LANG=vi_VN.UTF-8 LC_ALL= python3 -c %s %s", script, VIETNAMESE)
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout.strip() == f"UTF-8 utf-8 {VIETNAMESE.upper()}"


def test_host_name(host, inventory_vars):
    assert host.check_output("hostname -f") == inventory_vars["mail_hostname"]


def test_mail_name(host, inventory_vars):
    mailname = host.file("/etc/mailname")
    assert mailname.content_string == inventory_vars["mail_domain"] + "\n"
    assert mailname.mode == 0o644


@pytest.mark.parametrize("package", ["ca-certificates", "locales", "tzdata"])
def test_base_packages(host, package):
    assert host.package(package).is_installed


def test_systemd_is_pid_1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_systemd_is_running(host):
    state = host.run("systemctl is-system-running --wait")
    failed = host.run("systemctl --failed --no-legend").stdout
    assert state.stdout.strip() == "running", failed
