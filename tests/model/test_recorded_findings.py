"""Findings recorded with a document (by an importer) load, save, validate and go away with
their node."""
from __future__ import annotations

import json

import pytest

from designer.model import ScenarioFormatError, dumps, loads
from designer.model.validation import validate

DOC = {"format": "outbound-designer", "version": 1, "semantics": "modern",
       "nodes": [{"id": "vm-1", "kind": "vm"}], "links": [],
       "findings": [{"severity": "warning", "code": "import-not-modelled",
                     "message": "secondary NIC", "node": "vm-1", "rule": "§1.6"},
                    {"severity": "info", "code": "import-skipped",
                     "message": "Microsoft.Web/sites app not imported"}]}


def test_recorded_findings_round_trip_and_join_validation():
    scenario = loads(json.dumps(DOC))
    assert json.loads(dumps(scenario))["findings"] == DOC["findings"]
    assert dumps(loads(dumps(scenario))) == dumps(scenario)
    found = {(f.severity, f.code, f.node_id, f.rule) for f in validate(scenario)}
    assert ("warning", "import-not-modelled", "vm-1", "§1.6") in found
    assert ("info", "import-skipped", None, "") in found


def test_a_file_without_findings_saves_without_the_key():
    doc = dict(DOC)
    del doc["findings"]
    assert '"findings"' not in dumps(loads(json.dumps(doc)))


def test_a_finding_about_a_deleted_node_is_dropped():
    scenario = loads(json.dumps(DOC))
    scenario.topology.remove_node("vm-1")
    assert [f["code"] for f in json.loads(dumps(scenario))["findings"]] == ["import-skipped"]
    assert "import-not-modelled" not in {f.code for f in validate(scenario)}


@pytest.mark.parametrize("bad, message", [
    ([{"severity": "error", "code": "x", "message": "m"}], "findings[0].severity: expected one of warning, info"),
    ([{"severity": "info", "code": "x"}], "findings[0].message: missing required field"),
    ([{"severity": "info", "code": "x", "message": "m", "extra": 1}], "findings[0].extra: unknown field"),
    ({"severity": "info"}, "findings: expected a list"),
])
def test_broken_recorded_findings_are_refused_with_their_path(bad, message):
    with pytest.raises(ScenarioFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        loads(json.dumps({**DOC, "findings": bad}))
