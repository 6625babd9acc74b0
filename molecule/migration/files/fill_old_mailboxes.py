"""Fill the old server's mailboxes over IMAP, as years of use would: Vietnamese folders and
subjects, flags and keywords, internal dates, and a large attachment.

    python3 fill_old_mailboxes.py MASTER_USER MASTER_PASSWORD [--new LOGIN]

With --new, one more message arrives in LOGIN's INBOX (mail that came before the cutover).
Runs on the old server, against its Dovecot on 127.0.0.1:143.
"""

import base64
import datetime
import imaplib
import random
import sys
import time
from email.message import EmailMessage
from email.utils import format_datetime

# Folders (as people named them) and how many messages each holds, per account.
MAILBOXES = {
    "tranvanbinh@gialai.gov.vn": {"INBOX": 6, "Công văn đến": 4, "Lưu trữ/2024": 2, "Sent": 2},
    "lethihoa@gialai.gov.vn": {"INBOX": 2, "Tài liệu họp": 1},
    "phamvanduc@gialai.gov.vn": {"INBOX": 1},
    "lanngt@binhdinh.gov.vn": {"INBOX": 2, "Hồ sơ Bình Định": 2},
}
FLAGS = [r"(\Seen)", r"(\Seen \Answered)", r"(\Flagged)", r"(\Seen Quan_trong)", "()", r"(\Seen \Flagged $Label1)"]
LARGE = 3 * 1024 * 1024  # the attachment in "Tài liệu họp"


def mutf7(name):
    out, buffer = [], ""

    def flush():
        if buffer:
            data = base64.b64encode(buffer.encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append("&" + data + "-")

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            buffer = ""
            out.append("&-" if char == "&" else char)
        else:
            buffer += char
    flush()
    return '"' + "".join(out) + '"'


def message(login, folder, number, large=False):
    msg = EmailMessage()
    msg["From"] = "Văn phòng UBND tỉnh <vanphong@gialai.gov.vn>"
    msg["To"] = login
    msg["Subject"] = f"Giấy mời họp giao ban số {number} — {folder}"
    msg["Message-ID"] = f"<old-{number}@oldmail.gialai.gov.vn>"
    msg["Date"] = format_datetime(datetime.datetime.fromtimestamp(_when(number), datetime.timezone.utc))
    msg.set_content(f"Kính gửi các đồng chí,\n\nNội dung thư số {number} trong thư mục «{folder}».\n")
    if large:
        rng = random.Random(number)
        msg.add_attachment(rng.randbytes(LARGE), maintype="application",
                           subtype="pdf", filename="Tài liệu họp.pdf")
    return msg.as_bytes()


def _when(number):
    return 1546300800 + number * 86400 * 37  # from 2019-01-01, one message every 37 days


def connect(login, master, password):
    client = imaplib.IMAP4("127.0.0.1", 143)
    client.authenticate("PLAIN", lambda _: b"\0".join([login.encode(), master.encode(), password.encode()]))
    return client


def fill(master, password):
    number = 0
    for login, folders in MAILBOXES.items():
        client = connect(login, master, password)
        for folder, count in folders.items():
            if folder != "INBOX":
                parent = folder.rsplit("/", 1)[0] if "/" in folder else None
                if parent:
                    client.create(mutf7(parent))
                client.create(mutf7(folder))
            for _ in range(count):
                number += 1
                when = imaplib.Time2Internaldate(_when(number))
                data = message(login, folder, number, large=folder == "Tài liệu họp")
                status, _ = client.append(mutf7(folder), FLAGS[number % len(FLAGS)], when, data)
                assert status == "OK", (login, folder)
        client.logout()


def new_mail(master, password, login):
    client = connect(login, master, password)
    data = message(login, "INBOX", 900 + int(time.time()) % 99)
    client.append("INBOX", "()", imaplib.Time2Internaldate(time.time()), data)
    client.logout()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[3] == "--new":
        new_mail(sys.argv[1], sys.argv[2], sys.argv[4])
    else:
        fill(sys.argv[1], sys.argv[2])
