"""``outbound-designer import``: output, summary, merging, and bad input (one line, exit 2,
nothing written)."""
from __future__ import annotations

import json

import pytest

from designer.cli import main
from designer.model import load_scenario, loads

from .helpers import SCHEMA, fixture


def run(capsys, *args):
    code = main(["import", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_writes_the_scenario_and_a_summary(tmp_path, capsys):
    out = tmp_path / "web.outbound.json"
    code, stdout, err = run(capsys, fixture("arm_web_tier.json"), "--param", "adminUsername=me",
                            "-o", out, "--load", "4")
    assert code == 0 and stdout == ""
    scenario = load_scenario(out)
    assert len(scenario.topology.node_ids("vm")) == 3
    assert {g.rate_per_s for g in scenario.topology.nodes("traffic_generator")} == {4.0}
    lines = err.splitlines()
    assert lines[0].startswith("imported arm_web_tier.json (arm): 3 VMs, 1 load balancer")
    assert any(line.startswith("  skipped: Microsoft.Storage/storageAccounts") for line in lines)
    assert any(line.startswith("  warning: ") for line in lines)
    assert "validation: 0 error(s), 1 warning(s)" in err and f"wrote {out}" in err
    # the import's notes are the scenario's recorded findings, so validate shows them too
    assert any(f["code"] == "import-skipped" for f in scenario.recorded_findings)
    # laid out by the model's layout: no two nodes on one point, VMs inside their subnet's box
    # (the file had every node at 0, 0 since the saver writes every position)
    topo = scenario.topology
    points = [n.position for n in topo.nodes() if not n.CONTAINER]
    assert len(set(points)) == len(points)
    for vm in topo.nodes("vm"):
        box = topo.node(topo.subnet_of(vm.id))
        assert box.position[0] <= vm.position[0] <= box.position[0] + box.size[0]
        assert box.position[1] <= vm.position[1] <= box.position[1] + box.size[1]


def test_without_out_the_scenario_goes_to_stdout(capsys):
    code, stdout, _ = run(capsys, fixture("tf_state.json"))
    assert code == 0
    assert loads(stdout).topology.node_ids("nat_gateway") == ["egress-nat"]


def test_several_sources_merge_and_format_can_be_named(capsys):
    code, stdout, err = run(capsys, fixture("arm_vnet.json"), fixture("arm_vms_in_hub.json"),
                            "--format", "arm")
    assert code == 0 and "arm_vnet.json (arm), arm_vms_in_hub.json (arm)" in err
    assert loads(stdout).topology.vms_in_subnet("apps") == ["app-0", "app-1"]


def test_params_file_as_a_plain_object(tmp_path, capsys):
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"adminUsername": "me", "vmCount": 1}))
    code, stdout, _ = run(capsys, fixture("arm_web_tier.json"), "--params", params)
    assert code == 0 and loads(stdout).topology.node_ids("vm") == ["web-1"]


def bad_inputs(tmp_path):
    unsupported = tmp_path / "unsupported.json"
    unsupported.write_text(json.dumps({"$schema": SCHEMA, "resources": [
        {"type": "Microsoft.Network/virtualNetworks", "name": "v",
         "properties": {"addressSpace": {"addressPrefixes": ["[cidrSubnetz('10.0.0.0/8', 16, 0)]"]}}}]}))
    broken = tmp_path / "broken.json"
    broken.write_text('{"$schema": "' + SCHEMA + '", "resources": [')
    control = tmp_path / "control.json"     # a script pasted into a string, line break kept
    control.write_text('{"$schema": "' + SCHEMA + '", "resources": [], "x": "a\nb"}')
    not_arm = tmp_path / "scenario.json"
    not_arm.write_text(json.dumps({"format": "outbound-designer", "version": 1, "nodes": []}))
    return {
        "unsupported": (unsupported, "unsupported.json: resources[0].properties.addressSpace."
                                     "addressPrefixes[0]: unsupported template function "
                                     "'cidrSubnetz'"),
        "broken": (broken, "broken.json: not valid JSON: Expecting value at line 1"),
        "control": (control, "control.json: not valid JSON: Invalid control character at "
                             "line 1 column"),
        "not_arm": (not_arm, "scenario.json: not an ARM template, a Terraform plan or state"),
        "missing": (tmp_path / "nope.json", "nope.json: cannot read the file"),
    }


@pytest.mark.parametrize("case", ["unsupported", "broken", "control", "not_arm", "missing"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, case):
    source, expected = bad_inputs(tmp_path)[case]
    out = tmp_path / "out.outbound.json"
    code, stdout, err = run(capsys, source, "-o", out)
    assert code == 2 and stdout == "" and not out.exists()
    assert len(err.strip().splitlines()) == 1 and expected in err, err


def test_wrong_format_and_bad_options_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, fixture("tf_plan.json"), "--format", "arm")
    assert code == 2 and "not an ARM template (it looks like a Terraform plan or state)" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(fixture("tf_plan.json")), "--load", "-1"])
    assert exit_info.value.code == 2
    # a number without a value cannot be guessed (it may count VMs): one line, exit 2
    doc = json.loads(fixture("arm_web_tier.json").read_text(encoding="utf-8"))
    doc["parameters"]["vmCount"].pop("defaultValue")
    (tmp_path / "counted.json").write_text(json.dumps(doc))
    code, _, err = run(capsys, tmp_path / "counted.json")
    assert code == 2 and "no value for parameter(s) vmCount" in err
    assert "--param NAME=VALUE" in err
