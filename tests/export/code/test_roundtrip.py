"""Round trips: every bundled example (and a fixture with every field code carries) exported
as ARM, Bicep and Terraform, imported back, is the same topology — kinds, names, links, every
field the format has — and, with the generators, endpoints and drawn addresses put back,
simulates to the same report with the same seed."""
from pathlib import Path

import pytest

from designer.export.code.arm import arm_document
from designer.export.code.bicep import bicep_text
from designer.export.code.plan import CodeOptions, plan
from designer.export.code.terraform import terraform_text
from designer.importers import import_arm, import_sources
from designer.model import dumps, load_scenario
from designer.resources import example_paths
from designer.sim.report import simulate

from .readers import bicep_to_arm
from .roundtrip import canonical, comparable, restore

FIXTURE = Path(__file__).parent / "fixtures" / "every-field.outbound.json"
SCENARIOS = {p.name: p for p in example_paths()} | {FIXTURE.name: FIXTURE}
#: what the azurerm provider cannot set (the Terraform export says so, comment and stderr)
AZURERM_CANNOT = {"nsg": {"flush_connection"}, "load_balancer": {"no_healthy_backends"}}
SSH = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOutboundDesignerTestKeyOnly test"


def import_back(p, language: str, tmp_path: Path):
    if language == "arm":
        return import_arm(arm_document(p), {"adminSshPublicKey": SSH}, source="x.arm.json")
    if language == "bicep":
        return import_arm(bicep_to_arm(bicep_text(p)), {"adminSshPublicKey": SSH},
                          source="x.bicep")
    folder = tmp_path / "tf"
    folder.mkdir()
    (folder / "main.tf").write_text(terraform_text(p))
    return import_sources([str(folder)], variables={"admin_ssh_public_key": SSH})


_REPORTS: dict[str, dict] = {}
#: long enough for every example's flows to start, fail and recover; the full 600 s only
#: repeats the same behaviour and would cost most of this file's time
DURATION_S = 150


def report_of(scenario) -> dict:
    """The report of a scenario, simulated once per distinct document (the three languages
    restore byte-identical scenarios, and simulations cost most of this file's time)."""
    key = dumps(scenario)
    if key not in _REPORTS:
        _REPORTS[key] = comparable(simulate(scenario, duration=DURATION_S))
    return _REPORTS[key]


def _without(canon: dict, fields: dict[str, set]) -> dict:
    nodes = {key: {k: v for k, v in value.items() if k not in fields.get(key[0], ())}
             for key, value in canon["nodes"].items()}
    return {**canon, "nodes": nodes}


@pytest.mark.parametrize("language", ["arm", "bicep", "terraform"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_export_import_round_trip(tmp_path, name, language):
    original = load_scenario(SCENARIOS[name])
    p = plan(original, CodeOptions(simulate=False))
    imported, summary = import_back(p, language, tmp_path)
    # what the import says is only that Azure assigns the public addresses
    assert {n.code for n in summary.notes} <= {"import-address-assumed"}, \
        [n.line() for n in summary.notes]
    expected, got = canonical(p.scenario, p.names), canonical(imported)
    if language == "terraform":
        expected, got = _without(expected, AZURERM_CANNOT), _without(got, AZURERM_CANNOT)
    assert got["nodes"] == expected["nodes"]
    assert got["links"] == expected["links"]
    assert got["semantics"] == expected["semantics"] == "modern"

    # the re-imported scenario, with what code leaves out put back, simulates the same
    restored = restore(imported, p.scenario, p.names)
    deployed = report_of(p.scenario)
    assert report_of(restored) == deployed
    if original.semantics == "modern":
        # ... which is the original's report: making the implied subnet explicit only
        # removes the notes that it was implied
        drawn = dict(report_of(original))
        drawn["findings"] = [f for f in drawn["findings"] if f["code"] != "vm-implied-subnet"]
        assert deployed == drawn
