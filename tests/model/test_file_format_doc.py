"""docs/file-format.md is generated from the model by docs/gen_file_format.py: it must be up to
date, its example must load and validate, and every field must have a meaning."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from designer.model import COMPONENT_CLASSES, field_specs, loads
from designer.model.validation import validate

ROOT = Path(__file__).resolve().parents[2]


def generator():
    spec = importlib.util.spec_from_file_location("gen_file_format",
                                                  ROOT / "docs" / "gen_file_format.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_file_format_doc_is_up_to_date():
    text = (ROOT / "docs" / "file-format.md").read_text(encoding="utf-8")
    assert text == generator().generate(), "run: python docs/gen_file_format.py"


def test_doc_example_loads_and_validates():
    gen = generator()
    scenario = loads(gen.EXAMPLE, source="docs example")
    assert [f.format() for f in validate(scenario) if f.severity == "error"] == []
    assert len(scenario.topology) == 5


def test_every_field_of_every_kind_is_documented_with_a_meaning():
    text = generator().generate()
    for kind, cls in COMPONENT_CLASSES.items():
        section = text.split(f"### `{kind}` — ")[1].split("\n### ")[0]
        for spec in field_specs(cls):
            if spec.name in ("name", "position"):
                continue  # in the common table
            row = re.search(rf"^\| `{spec.name}` \|.*\| ([^|]*) \|$", section, flags=re.M)
            assert row and row.group(1).strip(), f"{kind}.{spec.name} has no meaning"
