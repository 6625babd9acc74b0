#!/usr/bin/python3
# Ansible managed: installed by the dovecot role, which overwrites local changes.
"""Dovecot's quota-warning service: tell the owner, in Vietnamese, how full the mailbox is.

Called as `dovecot-quota-warning PERCENT ADDRESS`. The sender's address and name come from
/etc/mailgov/quota-warning.json ({"sender": ..., "sender_name": ...}), which the role writes.
The mail goes straight into the INBOX with dovecot-lda, with the quota not enforced, so the
warning arrives even into a full box.
"""

import json
import subprocess
import sys
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

# The role's dovecot_quota_warning_config.
CONFIG = "/etc/mailgov/quota-warning.json"
LDA = "/usr/lib/dovecot/dovecot-lda"


def load_config(path=CONFIG):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def warning(percent, address, config):
    sender = config["sender"]
    msg = EmailMessage()
    msg["From"] = formataddr((config["sender_name"], sender))
    msg["To"] = address
    msg["Subject"] = f"Cảnh báo: hộp thư của bạn đã dùng {percent}% dung lượng"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Hộp thư {address} đã dùng {percent}% dung lượng cho phép.\n\n"
        "Khi hộp thư đầy, thư gửi đến sẽ không được nhận. Xin hãy xoá bớt thư cũ, nhất là thư có "
        "tệp đính kèm lớn, và dọn thư mục Thùng rác (Trash), hoặc đề nghị quản trị viên tăng "
        "dung lượng hộp thư.\n\n"
        "Thư này được gửi tự động; xin đừng trả lời.\n"
    )
    return msg.as_bytes()


def main():
    percent, address = sys.argv[1], sys.argv[2]
    config = load_config()
    subprocess.run([LDA, "-d", address, "-f", config["sender"], "-o", "quota_enforce=no"],
                   input=warning(percent, address, config), check=True)


if __name__ == "__main__":
    main()
