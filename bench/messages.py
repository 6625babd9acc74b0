"""The seeded Vietnamese messages the mail-store benchmarks write, as code to run in a container.

``MESSAGE`` defines ``message(n, to)``: message n is the same on every run and every machine
(seeded by n): a few KB of Vietnamese text with a Vietnamese subject, one in ten with an attachment
of 100 to 400 KB, one in a hundred with 2 MB. A benchmark's writer is this code and its own loop.
"""

MESSAGE = r'''
import base64, random
SUBJECTS = ["Công văn số {n}/STTTT-VP về việc triển khai thư điện tử công vụ",
            "Giấy mời họp giao ban tuần {n}, Phòng Bưu chính, Viễn thông",
            "Báo cáo số {n}: Ủy ban nhân dân xã Ia Băng, huyện Đak Pơ",
            "Tờ trình {n} đề nghị khen thưởng tập thể, cá nhân năm 2026"]
WORDS = ("Sở Thông tin và Truyền thông đề nghị các đơn vị phối hợp triển khai kế hoạch chuyển đổi số "
         "của tỉnh Gia Lai trong năm tới theo đúng tiến độ đã được Ủy ban nhân dân tỉnh phê duyệt").split()


def message(n, to):
    rng = random.Random(n)
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(300, 1200)))
    text = (f"From: Văn thư <vanthu@gialai.gov.vn>\nTo: {to}\n"
            f"Subject: {SUBJECTS[n % 4].format(n=n)}\nMessage-ID: <{n}@bench.gialai.gov.vn>\n"
            f"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
            f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}\n")
    size = 2_000_000 if n % 100 == 7 else rng.randint(100_000, 400_000) if n % 10 == 3 else 0
    if size:
        data = base64.encodebytes(rng.randbytes(size)).decode()
        text += f"--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n{data}"
    return text + "--b--\n"
'''
