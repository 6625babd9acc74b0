"""Runs Molecule scenarios on the converged stack image and prints how long each step took.

    python scripts/scenarios.py [SCENARIO ...]    run these scenarios, in this order
    python scripts/scenarios.py --image           print the stack image's name and stop

The default scenario converges the whole stack from the base image, checks idempotence and
commits the instance as localhost/mailgov-stack:<digest> (molecule/shared/stack-commit.yml),
where the digest covers everything that shapes that converge (STACK_INPUTS and the base image).
Every other scenario starts from that image (.config/molecule/config.yml). While the image of
the current digest exists, the default scenario is not converged again: its tests run on an
instance made from the image. Any scenario asked for builds the image first when it is missing.
"""

import hashlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BASE_IMAGE = "localhost/mailgov-base:trixie"
STACK_REPO = "localhost/mailgov-stack"
BUILDER = "default"
# What the default scenario's converge reads. Documentation (*.md) does not shape it.
STACK_INPUTS = [
    "ansible.cfg", "requirements.txt", ".config/molecule", "molecule/default/molecule.yml",
    "molecule/shared/stack-commit.yml", "molecule/shared/stack-prepare.yml", "molecule/shared/tasks",
    "inventories/demo", "playbooks", "roles", "mailgov", "library", "filter_plugins",
]
MOLECULE = ["molecule", "--base-config", str(ROOT / ".config/molecule/config.yml")]
# The steps of the table; prepare (the stack's secrets, the wait for its services) counts as create.
COLUMNS = ["create", "converge", "idempotence", "side_effect", "verify", "destroy"]
STEP = re.compile(r"^\S+\s+(?P<scenario>[\w-]+) ➜ (?P<action>\w+): (?P<what>Executing|Executed)")
# pytest's last line, which Molecule prints inside its border ("│ ") and may wrap after the time.
PYTEST_SUMMARY = re.compile(r"=+ (?P<counts>\d+ \w+(?:, \d+ \w+)*) in [\d.]+s")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def files_of(root, inputs):
    for name in inputs:
        path = root / name
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in found:
            if file.suffix in {".md", ".pyc"} or "__pycache__" in file.parts:
                continue
            yield file


def inputs_digest(root, base_id, inputs=STACK_INPUTS):
    """The SHA-256 over the base image's id and every input file's path and content."""
    digest = hashlib.sha256(base_id.encode())
    for file in files_of(root, inputs):
        digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def stack_image():
    base = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", BASE_IMAGE],
                          capture_output=True, text=True, check=False)
    if base.returncode != 0:
        sys.exit(f"mailgov: the base image {BASE_IMAGE} is missing: run 'make setup', which builds it.")
    return f"{STACK_REPO}:{inputs_digest(ROOT, base.stdout.strip())[:16]}"


def image_exists(image):
    return subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0


def remove_older_stack_images(keep):
    """Each stack image is about a gigabyte: keep only the current one."""
    listed = subprocess.run(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}", STACK_REPO],
                            capture_output=True, text=True, check=False).stdout.split()
    for image in listed:
        if image != keep:
            subprocess.run(["podman", "rmi", "--force", image], capture_output=True, check=False)


@dataclass
class Run:
    """One scenario's run: seconds per step, the test counts pytest printed, and the outcome."""

    scenario: str
    image: str = ""
    seconds: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    ok: bool = True
    # Seconds from the first action to the last, with Molecule's own start-up in between.
    wall: float = 0.0

    def add_counts(self, summary):
        for number, word in re.findall(r"(\d+) (\w+)", summary):
            self.counts[word] = self.counts.get(word, 0) + int(number)

    def read(self, line, now, started):
        """Take one line of Molecule's output seen at `now`: a step starting or ending, or
        pytest's summary. `started` holds the steps under way."""
        plain = ANSI.sub("", line).strip()
        step = STEP.match(plain)
        if step and step["scenario"] == self.scenario:
            column = "create" if step["action"] == "prepare" else step["action"]
            if step["what"] == "Executing":
                started[column] = now
            elif column in started:
                self.seconds[column] = self.seconds.get(column, 0.0) + now - started.pop(column)
        summary = PYTEST_SUMMARY.search(plain)
        if summary:
            self.add_counts(summary["counts"])


def molecule(run, action, env):
    """Run one molecule action, passing its output through, and time the steps it runs."""
    started = {}
    command = [*MOLECULE, action.replace("_", "-"), "-s", run.scenario]
    with subprocess.Popen(command, cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            run.read(line, time.monotonic(), started)
    return proc.returncode == 0


def scenario_config(scenario):
    return yaml.safe_load((ROOT / "molecule" / scenario / "molecule.yml").read_text(encoding="utf-8")) or {}


def sequence_of(scenario):
    """The scenario's own test_sequence, or the shared config's."""
    own = scenario_config(scenario).get("scenario", {}).get("test_sequence")
    shared = yaml.safe_load((ROOT / ".config/molecule/config.yml").read_text(encoding="utf-8"))
    return own or shared["scenario"]["test_sequence"]


def starts_from_nothing(scenario):
    """A scenario whose platforms in its molecule.yml all name the base image (not the shared
    config's ${MAILGOV_STACK_IMAGE}) starts from nothing."""
    images = [str(p.get("image", "")) for p in scenario_config(scenario).get("platforms", [])]
    return bool(images) and all(BASE_IMAGE in image for image in images)


def mitogen_strategies():
    import ansible_mitogen

    return str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy")


def run_sequence(run, sequence, env, fast=()):
    """Molecule's test sequence, one action at a time, so that only the actions in `fast` (the
    converges of a server that already runs the stack) use Mitogen's strategy: the podman
    driver's own playbooks do not work with it. On a failure the instances are destroyed, as
    `molecule test` does."""
    for index, action in enumerate(sequence):
        if action == "prepare" and index and sequence[index - 1] == "create":
            continue  # molecule create runs the prepare step too
        step_env = env
        if action in fast:
            step_env = dict(env, ANSIBLE_STRATEGY="mitogen_linear", ANSIBLE_STRATEGY_PLUGINS=mitogen_strategies())
        if not molecule(run, action, step_env):
            if action != "destroy":
                molecule(run, "destroy", env)
            return False
    return True


def run_scenario(scenario, image, env):
    run = Run(scenario)
    env = dict(env, MAILGOV_STACK_IMAGE=image)
    begun = time.monotonic()
    if scenario == BUILDER and image_exists(image):
        # The build was proven when the image was made from these very inputs: test the image.
        run.image = "reused"
        env["MAILGOV_DEFAULT_IMAGE"] = image
        run.ok = run_sequence(run, ["destroy", "create", "verify", "destroy"], env)
    elif scenario == BUILDER:
        # The build from nothing with Ansible's own strategy, as sites run it; the second converge
        # on the running stack, which must change nothing, with Mitogen's.
        run.image = "built"
        run.ok = run_sequence(run, sequence_of(scenario), env, fast={"idempotence"})
        if run.ok:
            remove_older_stack_images(keep=image)
    else:
        run.image = "base" if starts_from_nothing(scenario) else "stack"
        run.ok = run_sequence(run, sequence_of(scenario), env, fast={"converge"} if run.image == "stack" else ())
    run.wall = time.monotonic() - begun
    return run


def minutes(seconds):
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}" if seconds else "-"


def table(runs, before):
    header = ["scenario", "image", *COLUMNS, "tests", "total"]
    rows = []
    for run in runs:
        tests = ", ".join(f"{n} {w}" for w, n in run.counts.items()) or "-"
        total = run.wall or sum(run.seconds.values())
        rows.append([run.scenario + ("" if run.ok else " FAILED"), run.image,
                     *(minutes(run.seconds.get(c, 0)) for c in COLUMNS), tests, minutes(total)])
    overall = sum(r.wall or sum(r.seconds.values()) for r in runs)
    rows.append(["all scenarios", "", *[""] * len(COLUMNS), "", minutes(overall)])
    if before:
        rows.append(["before the scenarios", "", *[""] * len(COLUMNS), "", minutes(before)])
        rows.append(["in all", "", *[""] * len(COLUMNS), "", minutes(before + overall)])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv):
    if argv[:1] == ["--image"]:
        print(stack_image())
        return 0
    scenarios = argv or [BUILDER]
    unknown = [s for s in scenarios if not (ROOT / "molecule" / s / "molecule.yml").is_file()]
    if unknown:
        sys.exit(f"mailgov: no Molecule scenario {', '.join(unknown)} under molecule/.")
    started = time.time()
    # Seconds since make started (MAILGOV_TEST_STARTED, set by the Makefile): setup, lint and unit.
    before = started - float(os.environ.get("MAILGOV_TEST_STARTED", started))
    image = stack_image()
    needs_stack = any(not starts_from_nothing(s) for s in scenarios)
    if BUILDER not in scenarios and needs_stack and not image_exists(image):
        print(f"==> {image} is missing: the {BUILDER} scenario builds it first", flush=True)
        scenarios = [BUILDER, *scenarios]
    runs = []
    for scenario in scenarios:
        print(f"==> Scenario {scenario} ({image})", flush=True)
        runs.append(run_scenario(scenario, image, dict(os.environ)))
        if scenario == BUILDER and not runs[-1].ok and not image_exists(image):
            print(f"==> The {BUILDER} scenario made no stack image: the other scenarios cannot run", flush=True)
            break
    report = table(runs, before)
    out = ROOT / ".cache" / "test-times.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    print(f"\nTimes (m:ss), also in {out.relative_to(ROOT)}:\n{report}\n")
    passed = sum(r.counts.get("passed", 0) for r in runs)
    failed = sum(r.counts.get("failed", 0) + r.counts.get("error", 0) + r.counts.get("errors", 0) for r in runs)
    skipped = sum(r.counts.get("skipped", 0) for r in runs)
    print(f"molecule: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if all(r.ok for r in runs) and len(runs) == len(scenarios) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
