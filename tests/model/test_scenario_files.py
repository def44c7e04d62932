"""Scenario files: round trips, bad files with JSON paths, and a fuzzer that may only ever
get the documented ScenarioFormatError out of the loader."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer.model import (FORMAT_VERSION, LbRule, NsgRule, OutboundRule, Probe,
                            ScenarioFormatError, dumps, load_scenario, loads, save_scenario)
from designer.model.io import to_document
from designer.model.validation import validate
from designer.resources import example_paths

from model_builders import Spec, large_topology, web_tier


def bundled_examples() -> list[Path]:
    try:
        return example_paths()
    except FileNotFoundError:  # resources/ not in this checkout yet
        return []


def built_scenarios() -> dict[str, Spec]:
    """Scenarios built in code that use every node kind, link kind and record type."""
    modern = web_tier("modern")
    modern.add("out-ip", "public_ip", sku="standard", address="52.0.0.20")
    modern.link("lb", "out-ip", "frontend")
    modern.set("lb", rules=(LbRule(name="http", frontend="lb-ip", disable_outbound_snat=True,
                                   idle_timeout_min=15, enable_tcp_reset=True),),
               outbound_rules=(OutboundRule(name="out", frontends=("out-ip",), protocol="tcp",
                                            allocated_ports=8000, idle_timeout_min=30),),
               probe=Probe(protocol="https", port=443, path="/health", interval_s=5,
                           threshold=2))
    modern.add("sub2", "subnet", prefix="10.0.2.0/24", private=True).link("sub2", "vnet",
                                                                         "in_vnet")
    modern.add("nat", "nat_gateway", idle_timeout_min=10).link("nat", "sub2", "nat")
    modern.add("nat-ip", "public_ip", sku="standard").link("nat", "nat-ip", "nat")
    modern.add("db", "vm", private_ip="10.0.2.10", availability_set="db-set", state="stopped",
               probe_responds=False, name="Database", position=(12.5, -40.0))
    modern.link("db", "sub2", "in_subnet")
    modern.add("nsg", "nsg", rules=(
        NsgRule(name="deny-web", priority=110, direction="outbound", access="deny",
                protocol="tcp", source="10.0.2.0/24", destination="Internet",
                destination_port="80,443,8000-8100"),
        NsgRule(name="probe", priority=120, source="AzureLoadBalancer"),
    ), flush_connection=True).link("nsg", "sub2", "nsg").link("nsg", "web-1", "nsg")
    modern.add("dns", "endpoint", address="208.67.222.222", port=53, role="whatismyip")
    modern.add("gen2", "traffic_generator", protocol="udp", rate_per_s=0.5, close="idle",
               keepalive_s=30.0, pool_size=4, start_s=10.0, stop_s=120.0, muted=True)
    modern.link("gen2", "sub2", "source").link("gen2", "dns", "destination")
    modern.add("ilpip", "public_ip", sku="standard").link("web-2", "ilpip", "instance_ip")
    modern.add("in-gen", "traffic_generator", direction="inbound").link("in-gen", "lb-ip",
                                                                        "destination")
    classic = web_tier("classic")
    classic.options.update(port_reuse_key="ip_port", nsg_priority_compat=True)
    classic.add("nsg", "nsg", rules=(NsgRule(name="old", priority=60000),))
    classic.link("nsg", "web-2", "nsg")
    return {"modern-everything": modern, "classic-web": classic}


# ==================================================================== round trips

@pytest.mark.parametrize("path", bundled_examples(), ids=lambda p: p.name)
def test_bundled_example_round_trips_and_validates(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.description, "every example carries a sentence of description"
    assert dumps(scenario) == text, "examples are stored in the canonical saved form"
    copy_path = tmp_path / path.name
    save_scenario(scenario, copy_path)
    assert copy_path.read_text(encoding="utf-8") == text
    errors = [f.format() for f in validate(scenario) if f.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("name", sorted(built_scenarios()))
def test_built_scenario_round_trips(name, tmp_path):
    scenario = built_scenarios()[name].build()
    text = dumps(scenario)
    again = loads(text)
    assert dumps(again) == text
    assert to_document(again) == to_document(scenario)
    # same components (every field) and links
    assert sorted(again.topology.nodes(), key=lambda c: c.id) == \
        sorted(scenario.topology.nodes(), key=lambda c: c.id)
    assert set(again.topology.links()) == set(scenario.topology.links())
    assert (again.name, again.semantics, again.seed, again.options) == \
        (scenario.name, scenario.semantics, scenario.seed, scenario.options)
    path = tmp_path / "s.outbound.json"
    save_scenario(again, path)
    assert load_scenario(path).topology.nodes() == again.topology.nodes()


def test_built_scenarios_are_valid():
    for name, spec in built_scenarios().items():
        errors = [f.format() for f in validate(spec.build()) if f.severity == "error"]
        assert errors == [], name


def test_large_generated_topology_round_trips():
    scenario = large_topology(600)
    text = dumps(scenario)
    assert dumps(loads(text)) == text
    assert [f for f in validate(scenario) if f.severity == "error"] == []


def test_links_without_kind_are_inferred_and_saved_with_kind():
    doc = {"format": "outbound-designer", "version": 1,
           "nodes": [{"id": "vm", "kind": "vm"}, {"id": "s", "kind": "subnet"}],
           "links": [{"from": "vm", "to": "s"}]}
    text = dumps(loads(json.dumps(doc)))
    assert json.loads(text)["links"] == [{"from": "vm", "to": "s", "kind": "in_subnet"}]


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "a.outbound.json"
    scenario = web_tier().build()
    save_scenario(scenario, path)
    before = path.read_text(encoding="utf-8")
    import designer.model.io as io

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(io.os, "replace", broken_replace)
    scenario.name = "changed"
    with pytest.raises(OSError):
        save_scenario(scenario, path)
    assert path.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.outbound.json"]  # no temp file left


# ==================================================================== bad files

GOOD = {"format": "outbound-designer", "version": 1, "name": "x", "semantics": "classic",
        "nodes": [{"id": "web-1", "kind": "vm"},
                  {"id": "lb", "kind": "load_balancer",
                   "rules": [{"name": "http", "frontend": "lb-ip"}]},
                  {"id": "lb-ip", "kind": "public_ip"}],
        "links": [{"from": "lb", "to": "lb-ip", "kind": "frontend"},
                  {"from": "lb", "to": "web-1", "kind": "backend"}]}


def bad(**changes):
    doc = copy.deepcopy(GOOD)
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        last = keys[-1]
        if isinstance(target, list):
            target[int(last)] = value
        elif value is DROP:
            del target[last]
        else:
            target[last] = value
    return json.dumps(doc)


DROP = object()

# (label, text, JSON path expected in the message, words expected in the message)
BAD_FILES = [
    ("truncated JSON", json.dumps(GOOD)[:57], "", "not valid JSON"),
    ("empty file", "", "", "not valid JSON"),
    ("not an object", "[1, 2]", "", "expected a JSON object"),
    ("wrong format", bad(format="other"), "format", "outbound-designer"),
    ("newer version", bad(version=FORMAT_VERSION + 1), "version",
     f"version {FORMAT_VERSION + 1}"),
    ("version as string", bad(version="1"), "version", "expected an integer"),
    ("wrong type: name", bad(name=5), "name", "expected a string"),
    ("wrong type: seed", bad(seed=1.5), "seed", "expected an integer"),
    ("wrong type: nodes", bad(nodes={}), "nodes", "expected a list"),
    ("wrong type: field", bad(nodes__0={"id": "web-1", "kind": "vm", "probe_responds": "yes"}),
     "nodes[0].probe_responds", "expected true or false"),
    ("wrong type: record field",
     bad(nodes__1={"id": "lb", "kind": "load_balancer",
                   "rules": [{"name": "http", "frontend": "lb-ip", "frontend_port": "80"}]}),
     "nodes[1].rules[0].frontend_port", "expected an integer"),
    ("out of range", bad(nodes__1={"id": "lb", "kind": "load_balancer",
                                   "rules": [{"name": "h", "frontend": "lb-ip",
                                              "backend_port": 70000}]}),
     "nodes[1].rules[0].backend_port", "out of range"),
    ("bad enum", bad(semantics="2017"), "semantics", "classic"),
    ("bad address", bad(nodes__2={"id": "lb-ip", "kind": "public_ip", "address": "52.0.0"}),
     "nodes[2].address", "IPv4"),
    ("unknown kind", bad(nodes__0={"id": "web-1", "kind": "firewall"}), "nodes[0].kind",
     "unknown kind"),
    ("unknown field", bad(nodes__0={"id": "web-1", "kind": "vm", "colour": "red"}),
     "nodes[0].colour", "unknown field"),
    ("unknown record field", bad(nodes__1={"id": "lb", "kind": "load_balancer",
                                           "probe": {"protocol": "tcp", "timeout": 3}}),
     "nodes[1].probe.timeout", "unknown field"),
    ("unknown top-level field", bad(extra=1), "extra", "unknown top-level field"),
    ("unknown option", bad(options={"turbo": True}), "options.turbo", "unknown option"),
    ("bad option value", bad(options={"port_reuse_key": "dst"}), "options.port_reuse_key",
     "expected one of"),
    ("missing id", bad(nodes__0={"kind": "vm"}), "nodes[0].id", "missing id"),
    ("empty id", bad(nodes__0={"id": " ", "kind": "vm"}), "nodes[0].id", "non-empty"),
    ("duplicate id", bad(nodes__2={"id": "lb", "kind": "public_ip"}), "nodes[2].id",
     "duplicate id"),
    ("missing required field", bad(nodes__1={"id": "lb", "kind": "load_balancer",
                                             "rules": [{"name": "http"}]}),
     "nodes[1].rules[0].frontend", "missing required field"),
    ("link to nowhere", bad(links__1={"from": "lb", "to": "ghost", "kind": "backend"}),
     "links[1].to", "no node with id 'ghost'"),
    ("link of the wrong kind", bad(links__1={"from": "lb", "to": "web-1", "kind": "frontend"}),
     "links[1]", "frontend link must end at a public_ip"),
    ("link backwards", bad(links__1={"from": "web-1", "to": "lb"}), "links[1]",
     "not the other way"),
    ("unknown link kind", bad(links__1={"from": "lb", "to": "web-1", "kind": "peer"}),
     "links[1].kind", "unknown link kind"),
    ("duplicate link", bad(links__1={"from": "lb", "to": "lb-ip", "kind": "frontend"}),
     "links[1]", "duplicate link"),
    ("too many digits", '{"format": "outbound-designer", "version": 1, "seed": ' + "9" * 5000
     + "}", "", "too many digits"),
]


@pytest.mark.parametrize("label,text,path,words", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_gives_format_error_with_path(label, text, path, words, tmp_path):
    file = tmp_path / "bad.outbound.json"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioFormatError) as info:
        load_scenario(file)
    error = info.value
    assert str(file) in error.summary()
    assert any(p == path for p, _ in error.problems), error.problems
    assert any(words in m for p, m in error.problems if p == path), error.problems
    if path:
        assert f"{path}: " in error.summary()


def test_newer_version_names_both_versions():
    with pytest.raises(ScenarioFormatError) as info:
        loads(bad(version=7))
    message = info.value.summary()
    assert "version 7" in message and f"version {FORMAT_VERSION}" in message


def test_every_problem_is_collected():
    text = bad(name=1, seed="x", nodes__0={"id": "web-1", "kind": "vm", "state": "asleep"},
               links__1={"from": "lb", "to": "ghost"})
    with pytest.raises(ScenarioFormatError) as info:
        loads(text)
    paths = [p for p, _ in info.value.problems]
    assert paths == ["name", "seed", "nodes[0].state", "links[1].to"]
    assert info.value.summary().startswith("<scenario>: 4 problems:")


def test_links_to_a_broken_node_are_not_reported_twice():
    text = bad(nodes__0={"id": "web-1", "kind": "vm", "state": "asleep"})
    with pytest.raises(ScenarioFormatError) as info:
        loads(text)
    assert [p for p, _ in info.value.problems] == ["nodes[0].state"]


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(ScenarioFormatError, match="cannot read"):
        load_scenario(tmp_path / "missing.outbound.json")
    latin = tmp_path / "latin.outbound.json"
    latin.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(ScenarioFormatError, match="not UTF-8"):
        load_scenario(latin)
    with pytest.raises(ScenarioFormatError, match="cannot read"):
        load_scenario(tmp_path)


# ==================================================================== fuzzing

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)


def _only_format_errors(text: str) -> None:
    try:
        scenario = loads(text)
    except ScenarioFormatError as exc:
        assert exc.problems and exc.summary()
        return
    # whatever loads must validate and save, and read back the same
    validate(scenario)
    assert dumps(loads(dumps(scenario))) == dumps(scenario)


@given(json_values)
def test_arbitrary_json_only_raises_format_error(value):
    _only_format_errors(json.dumps(value))


@given(st.dictionaries(st.sampled_from(["format", "version", "name", "semantics", "seed",
                                        "options", "nodes", "links", "x"]), json_values))
def test_arbitrary_top_level_only_raises_format_error(doc):
    doc.setdefault("format", "outbound-designer")
    doc.setdefault("version", 1)
    _only_format_errors(json.dumps(doc))


@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_format_error(text):
    _only_format_errors(text)


def _seed_documents() -> list[dict]:
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in bundled_examples()]
    docs += [to_document(spec.build()) for spec in built_scenarios().values()]
    return docs


SEEDS = _seed_documents()


def _paths(value, prefix=()):
    """Every (container path) inside a JSON value: the places a mutation can hit."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_documents(draw):
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["drop", "replace", "retype", "rename", "duplicate"]))
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(json_values)
        elif action == "retype":
            old = parent[key]
            parent[key] = draw(st.sampled_from(
                [str(old), [old], {"v": old}, None, 0, -1, 1.5, True, "", 10**30]))
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["id", "kind", "from", "to", "name", "frontend",
                                         "zzz", "rules"]))] = parent.pop(key)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return doc


@settings(max_examples=150)
@given(mutated_documents())
def test_mutated_documents_only_raise_format_error(doc):
    _only_format_errors(json.dumps(doc))


def test_one_line_summary_for_the_command_line():
    with pytest.raises(ScenarioFormatError) as info:
        loads(bad(name=1, seed="x"), source="f.json")
    assert info.value.summary(one_line=True) == \
        "f.json: 2 problems: name: expected a string, got an integer; " \
        "seed: expected an integer, got a string"
    assert "\n" in info.value.summary()
