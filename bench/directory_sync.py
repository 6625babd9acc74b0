#!/usr/bin/env python3
"""The directory sync module against its physical floor and a per-entry loop, in the same run.

Stands up a container `mailgov-bench` with the directory (playbooks/site.yml with the
demo inventory; the generated roster in the benchmark inventory's group_vars, where a site
keeps its own), then times, against the same slapd:
  1. playbooks/accounts.yml syncing a generated roster of 20,000 accounts into an
     empty directory (initial passwords included, hashed with {ARGON2} by slapd);
  2. the same run again, with nothing to change;
  3. the floor: slapd alone hashing as many passwords with the same parameters, as
     password-modify operations kept in flight (64, as the sync keeps its writes) on
     entries made beforehand, so that every core hashes;
  4. a community.general.ldap_entry loop adding --loop of those accounts, one task
     item per entry, with the same attributes and initial password.
Goals: (1) at most 1.15 times (3); (2) at most 0.05 of (1); per account, (1) at least
50 times faster than (4).

    .venv/bin/python bench/directory_sync.py [--accounts 20000] [--loop 500] [--keep]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from mailgov.accounts import render  # noqa: E402
from roster_render import generate  # noqa: E402
from stack import Container  # noqa: E402

CONTAINER = "mailgov-bench"
BASE_DN = "dc=gialai,dc=gov,dc=vn"
DOMAIN_DN = f"ou=gialai.gov.vn,{BASE_DN}"  # the roster's domain's branch
LOOP_PLAY = """
- name: Add accounts one task item at a time
  hosts: {host}
  gather_facts: false
  tasks:
    - name: Add one account
      community.general.ldap_entry:
        dn: "uid={{{{ item.id }}}},ou=loop,{base}"
        objectClass: [inetOrgPerson, mailAccount]
        attributes:
          uid: "{{{{ item.id }}}}"
          cn: "{{{{ item.display_name }}}}"
          sn: "{{{{ item.surname or item.display_name }}}}"
          mail: "{{{{ item.address }}}}"
          mailKind: "{{{{ item.kind }}}}"
          mailStatus: "{{{{ item.status }}}}"
          mailQuota: "{{{{ item.quota_bytes }}}}"
          userPassword: "{{{{ item.password }}}}"
        server_uri: ldapi:///
        sasl_class: external
      loop: "{{{{ accounts }}}}"
      loop_control:
        label: "{{{{ item.id }}}}"
      no_log: true
"""
# Run in the container by the server's own python3, with the package the mailgov_package role
# installed: the entries first (not timed), then only the password changes.
FLOOR = r"""
import sys, time
from mailgov.ldap import Connection

count, base = int(sys.argv[1]), "ou=floor," + sys.argv[2]
conn = Connection()
conn.add(base, {"objectClass": ["organizationalUnit"], "ou": ["floor"]})
conn.flush()
for i in range(count):
    conn.add(f"uid=f{i},{base}", {"objectClass": ["inetOrgPerson"], "uid": [f"f{i}"], "cn": [f"f{i}"], "sn": ["f"]})
conn.flush()
start = time.perf_counter()
for i in range(count):
    conn.password(f"uid=f{i},{base}", f"Kh@iTao-{i:06d}")
conn.flush()
print(time.perf_counter() - start)
"""


def floor(server, count):
    """Seconds slapd takes to hash count passwords, every core busy."""
    server.exec(f"ldapdelete -Q -Y EXTERNAL -H ldapi:/// -r ou=floor,{BASE_DN} 2>/dev/null; true")
    seconds = float(server.exec(f"python3 - {count} {BASE_DN}", stdin=FLOOR, capture=True).strip())
    server.exec(f"ldapdelete -Q -Y EXTERNAL -H ldapi:/// -r ou=floor,{BASE_DN}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--loop", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the container afterwards")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Container(CONTAINER, tmp)
        server.start()
        passwords = Path(tmp) / "passwords"
        server.set_up(passwords)

        units = max(1, args.accounts // 20)
        roster = generate(people=args.accounts - units, units=units)
        server.roster(roster)
        server.exec(f"for dn in {DOMAIN_DN} ou=loop,{BASE_DN}; do "
                    f"ldapdelete -Q -Y EXTERNAL -H ldapi:/// -r $dn 2>/dev/null; done; true")

        sync_args = ("playbooks/accounts.yml", "-e", f"accounts_password_dir={passwords}")
        first = server.playbook(*sync_args)
        again = server.playbook(*sync_args)
        hashing = floor(server, args.accounts)

        accounts = render(roster["mail_roster"])[: args.loop]
        for account in accounts:
            account["password"] = "Kh@iTao2026"
        loop_file = Path(tmp) / "loop.yml"
        loop_file.write_text(LOOP_PLAY.format(host=CONTAINER, base=BASE_DN), encoding="utf-8")
        vars_file = Path(tmp) / "loop-vars.json"
        vars_file.write_text(json.dumps({"accounts": accounts}, ensure_ascii=False), encoding="utf-8")
        server.exec(f"printf 'dn: ou=loop,{BASE_DN}\\nobjectClass: organizationalUnit\\nou: loop\\n' "
                    f"| ldapadd -Q -Y EXTERNAL -H ldapi:///")
        loop = server.playbook(str(loop_file), "-e", f"@{vars_file}")
        count = int(server.exec(f"ldapsearch -Q -Y EXTERNAL -H ldapi:/// -b ou=people,{DOMAIN_DN} -LLL '(uid=*)' 1.1 "
                                "| grep -c '^dn:'", capture=True).strip())
        if not args.keep:
            server.remove()
    per_sync = first / args.accounts
    per_loop = loop / len(accounts)
    print(f"accounts: {args.accounts} synced ({count} people entries found after), loop: {len(accounts)}")
    print("| run | seconds | per account (ms) |")
    print("| --- | ---: | ---: |")
    print(f"| floor: slapd hashing {args.accounts} passwords, 64 in flight | {hashing:.1f} "
          f"| {hashing / args.accounts * 1000:.2f} |")
    print(f"| mail_directory: first sync of {args.accounts} accounts | {first:.1f} | {per_sync * 1000:.2f} |")
    print(f"| mail_directory: the same run again, nothing to change | {again:.1f} | {again / args.accounts * 1000:.2f} |")
    print(f"| community.general.ldap_entry loop over {len(accounts)} accounts | {loop:.1f} | {per_loop * 1000:.2f} |")
    speedup = per_loop / per_sync
    print(f"the first sync takes {first / hashing:.2f} times the floor (goal: at most 1.15)")
    print(f"the no-op run takes {again / first:.3f} of the first sync (goal: at most 0.05)")
    print(f"per account, the module is {speedup:.0f} times faster than the loop (goal: at least 50)")
    return 0 if first <= 1.15 * hashing and again <= 0.05 * first and speedup >= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
