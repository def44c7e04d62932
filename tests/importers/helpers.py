"""Shared helpers of the importer tests: fixtures, small templates, the checks every
imported scenario must pass (it saves, loads back, validates without errors, simulates)."""
from __future__ import annotations

import json
from pathlib import Path

from designer.model import dumps, loads
from designer.model.validation import validate

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def fixture(name: str) -> Path:
    return FIXTURES / name


def load_fixture(name: str):
    return json.loads(fixture(name).read_text(encoding="utf-8"))


def template(*resources, parameters=None, variables=None) -> dict:
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "parameters": parameters or {},
            "variables": variables or {}, "resources": list(resources)}


def rid(rtype: str, *names: str) -> str:
    return f"[resourceId('{rtype}', {', '.join(repr(n) for n in names)})]"


def check_scenario(scenario, *, simulate_s: float = 0.0, allow_errors: bool = False):
    """The imported scenario round-trips through the file format, has no error finding
    (unless ``allow_errors``: a generated template may describe what Azure refuses) and
    (with ``simulate_s``) simulates; returns the reloaded scenario."""
    text = dumps(scenario)
    again = loads(text, source="imported")
    assert dumps(again) == text
    errors = [f.format() for f in validate(again) if f.severity == "error"]
    assert allow_errors or not errors, errors
    if simulate_s:
        from designer.sim.report import simulate
        report = simulate(again, duration=simulate_s)
        assert set(report["vms"]) == {vm.id for vm in again.topology.nodes("vm")}
    return again


def codes(summary) -> list[str]:
    return [n.code for n in summary.notes]
