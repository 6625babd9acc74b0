"""Host-side jobs: programs that run on a mail server as root and import the package
(``python3 -m mailgov.jobs.<name>``), started by playbooks or systemd timers."""
