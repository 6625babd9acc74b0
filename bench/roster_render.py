#!/usr/bin/env python3
"""Rendering a province-sized roster, against loading the same roster's YAML.

Generates a roster of 30,000 people in 1,500 units (seeded, so every run renders
the same roster), writes it as YAML, then times, in the same process and run:
  - loading the YAML with libyaml (PyYAML's CSafeLoader), the fastest loader;
  - loading it the way Ansible loads group_vars (its DataLoader);
  - render_accounts on the loaded roster.
Goal: rendering takes no longer than loading the YAML (ratio <= 1 against both).

    .venv/bin/python bench/roster_render.py [--people 30000] [--units 1500] [--repeat 5]
"""

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from mailgov.accounts import render

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Lương", "Ksor", "Rơ Châm", "Siu", "Nay"]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu", "Kim", "Hoàng",
           "Như", "Tiến", "Tấn", "Đình", "Công", "Bảo", "Mỹ", "Thuỳ"]
GIVENS = ["An", "Anh", "Bình", "Chi", "Cường", "Dũng", "Duyên", "Giang", "Hà", "Hải", "Hạnh", "Hiếu",
          "Hoà", "Hùng", "Huy", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga",
          "Ngọc", "Nhung", "Phong", "Phúc", "Phương", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Thắng",
          "Thành", "Thuỷ", "Trang", "Trung", "Tú", "Tuấn", "Vân", "Việt", "Yến", "H'Bia", "Blum"]
SYLLABLES = ["Ia", "Chư", "Đak", "Kon", "Krông", "Pơ", "Grai", "Păh", "Sê", "Rê", "Mơ", "Đoa",
             "Pa", "Tô", "Bang", "Lê", "Nan", "Glar", "Hrung", "Yang", "Kla", "Dom", "Hdreh"]
DIVISIONS = ["Phòng Tư pháp", "Phòng Nội vụ", "Phòng Tài chính", "Phòng Y tế", "Phòng Văn hóa",
             "Phòng Kinh tế", "Phòng Giáo dục", "Thanh tra", "Văn phòng", "Phòng Quản lý đô thị"]


def places(rng):
    """A supply of distinct place names (13,824 of them)."""
    seen = set()
    while True:
        name = " ".join(rng.choice(SYLLABLES) for _ in range(3))
        if name not in seen:
            seen.add(name)
            yield name


def generate(people=30000, units=1500, seed=2026):
    rng = random.Random(seed)
    place = places(rng)
    roster = {"policy": "gialai", "units": [], "people": []}
    add = roster["units"].append
    departments = max(1, units // 30)
    for i in range(departments):
        add({"id": f"so{i}", "name": f"Sở Chuyên ngành {i + 1}", "type": "department", "abbr": f"so{i}"})
    districts = max(1, units // 75)
    for i in range(districts):
        add({"id": f"h{i}", "name": f"Huyện {next(place)}", "type": "district"})
    parents = [u["id"] for u in roster["units"]]
    index = 0
    while len(roster["units"]) < units:
        parent = parents[index % len(parents)]
        count = sum(1 for u in roster["units"] if u.get("parent") == parent) if index < len(parents) * 10 else 10
        if count < len(DIVISIONS):
            add({"id": f"{parent}-p{count}", "name": DIVISIONS[count], "type": "division", "parent": parent})
        elif parent.startswith("h"):
            add({"id": f"{parent}-x{index}", "name": f"Xã {next(place)}", "type": "commune", "parent": parent})
        else:
            add({"id": f"x{index}", "name": f"Xã {next(place)}", "type": "commune"})
        index += 1
    unit_ids = [u["id"] for u in roster["units"]]
    for i in range(people):
        surname = rng.choice(SURNAMES)
        middle = rng.sample(MIDDLES, rng.choice((0, 1, 1, 1, 2, 2)))
        person = {"id": f"GL-{i:05d}", "name": " ".join([surname, *middle, rng.choice(GIVENS)]),
                  "unit": rng.choice(unit_ids)}
        if " " in surname:
            person["parts"] = {"surname": surname, "middle": middle, "given": person["name"].split(" ")[-1]}
        if rng.random() < 0.3:
            person["birth_date"] = f"{rng.randint(1960, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        roster["people"].append(person)
    return {"mail_roster": roster}


def timed(function, repeat):
    runs = []
    for _ in range(repeat):
        gc.collect()  # each run starts with no garbage left by the one before
        start = time.perf_counter()
        result = function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=30000)
    parser.add_argument("--units", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from ansible.parsing.dataloader import DataLoader

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.yml"
        path.write_text(yaml.safe_dump(generate(args.people, args.units), allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        size = path.stat().st_size

        def load_libyaml():
            with path.open(encoding="utf-8") as handle:
                return yaml.load(handle, Loader=yaml.CSafeLoader)

        def load_ansible():
            return DataLoader().load_from_file(str(path), cache="none")

        libyaml_s, data = timed(load_libyaml, args.repeat)
        roster = data["mail_roster"]
        render_s, accounts = timed(lambda: render(roster), args.repeat)
        ansible_s, _ = timed(load_ansible, args.repeat)

    people = sum(1 for a in accounts if a["kind"] == "person")
    print(f"roster: {people} people, {len(roster['units'])} units, {size / 1e6:.1f} MB of YAML; "
          f"median of {args.repeat} runs")
    print("| step | seconds | render / step |")
    print("| --- | ---: | ---: |")
    print(f"| load YAML with libyaml (CSafeLoader) | {libyaml_s:.3f} | {render_s / libyaml_s:.2f} |")
    print(f"| load YAML as Ansible does (DataLoader) | {ansible_s:.3f} | {render_s / ansible_s:.2f} |")
    print(f"| render_accounts | {render_s:.3f} | 1.00 |")
    met = render_s <= libyaml_s
    print(f"goal (render <= load YAML with libyaml): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
