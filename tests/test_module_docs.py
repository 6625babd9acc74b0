"""Every module's documentation is YAML that ansible-doc can read, and names each option the module takes."""

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted([*ROOT.glob("library/*.py"), *ROOT.glob("roles/*/library/*.py")])


def _strings(path):
    return {node.targets[0].id: node.value.value for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in ("DOCUMENTATION", "RETURN",
                                                                                       "EXAMPLES")}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_the_documentation_parses_and_names_every_option(path):
    strings = _strings(path)
    docs = yaml.safe_load(strings["DOCUMENTATION"])
    assert docs["module"] == path.stem and docs["short_description"]
    for name in ("RETURN", "EXAMPLES"):
        if strings.get(name, "").strip():
            yaml.safe_load(strings[name])
    spec = set(re.findall(r'^\s+"(\w+)": \{"type"', path.read_text(encoding="utf-8"), re.M))
    assert spec <= set(docs.get("options") or {}), spec - set(docs.get("options") or {})
