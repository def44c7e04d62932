"""Files that a shared folder or a hostile file can hurt (issue 15, "Files"): lone surrogates,
far-apart positions, numbers that must survive a save, killed saves, symlinks, read-only
targets and folders, and the wording of JSON errors.  Every fixture is written here."""
from __future__ import annotations

import json
import math
import os
import stat
import tempfile
import time

import pytest

from designer.model import ScenarioFormatError, dumps, loads, save_scenario
from designer.model.io import (ReadOnlyTargetError, atomic_write_bytes, remove_stale_temps,
                               to_document)

from model_builders import web_tier


def document(**gen_fields) -> dict:
    """A small valid scenario: a VM, an endpoint and a generator between them."""
    gen = {"id": "gen", "kind": "traffic_generator", "rate_per_s": 2}
    gen.update(gen_fields)
    return {"format": "outbound-designer", "version": 1, "name": "t",
            "nodes": [{"id": "vm-1", "kind": "vm", "position": [0, 0]},
                      {"id": "api", "kind": "endpoint", "address": "20.0.0.1", "port": 443},
                      gen],
            "links": [{"from": "gen", "to": "vm-1"}, {"from": "gen", "to": "api"}]}


def problems_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioFormatError) as info:
        loads(text, source="x.outbound.json")
    return info.value.problems


# ============================================================================ loading

@pytest.mark.parametrize("where, path", [
    (lambda d: d["nodes"][0].__setitem__("id", "vm-\ud800"), "nodes[0].id"),
    (lambda d: d["nodes"][1].__setitem__("name", "api \udfff"), "nodes[1].name"),
    (lambda d: d.__setitem__("name", "\ud83d"), "name"),
    (lambda d: d["nodes"][2].__setitem__("x\udc00", 1), "nodes[2].x\\udc00"),
])
def test_lone_surrogates_are_refused_at_load_with_their_json_path(where, path):
    doc = document()
    where(doc)
    text = json.dumps(doc)                      # ensure_ascii: the escapes stay as \udXXX
    problems = problems_of(text)
    assert [p for p, _ in problems] == [path]
    assert "surrogate" in problems[0][1]
    # the message itself can be printed and encoded
    ScenarioFormatError("x", problems).summary().encode("utf-8")


def test_a_real_surrogate_pair_is_a_character_and_loads():
    doc = document()
    doc["nodes"][0]["name"] = "web \U0001F600"
    assert load_ok(json.dumps(doc)).topology.node("vm-1").name == "web \U0001F600"


def load_ok(text: str):
    return loads(text, source="x")


@pytest.mark.parametrize("position", [[1e8, 0], [0, -1e8], [1000000.5, 0]])
def test_positions_beyond_the_canvas_range_are_refused(position):
    doc = document()
    doc["nodes"][0]["position"] = position
    problems = problems_of(json.dumps(doc))
    assert problems[0][0] == "nodes[0].position"
    assert "-1,000,000..1,000,000" in problems[0][1]


def test_positions_at_the_edge_of_the_range_load():
    doc = document()
    doc["nodes"][0]["position"] = [-1_000_000, 1_000_000]
    assert load_ok(json.dumps(doc)).topology.node("vm-1").position == (-1e6, 1e6)


def test_a_generator_time_beyond_the_longest_run_is_refused():
    problems = problems_of(json.dumps(document(stop_s=1e300)))
    assert problems[0][0] == "nodes[2].stop_s"
    assert "31,536,000" in problems[0][1]


def test_json_errors_read_without_a_doubled_word():
    problems = problems_of('{"format": "outbound-designer", "name": "unterminated')
    message = problems[0][1]
    assert "Unterminated string starting at line 1" in message
    assert "at at" not in message


# ============================================================================ numbers

@pytest.mark.parametrize("field, value", [
    ("rate_per_s", 4e-7), ("rate_per_s", 1e-300), ("rate_per_s", 0.1 + 0.2),
    ("rate_per_s", 123456.789012345), ("start_s", 1e-9), ("stop_s", 2.5e-7),
])
def test_saving_keeps_every_number_exactly(field, value):
    scenario = load_ok(json.dumps(document(**{field: value})))
    saved = dumps(scenario)
    again = load_ok(saved)
    assert getattr(again.topology.node("gen"), field) == value
    assert dumps(again) == saved                  # and the saved text is stable


def test_negative_zero_and_whole_numbers_round_trip_byte_for_byte():
    doc = document(rate_per_s=4e-7)
    doc["nodes"][0]["position"] = [-0.0, 20]
    scenario = load_ok(json.dumps(doc))
    text = dumps(scenario)
    assert '"position": [-0.0, 20]' in text
    assert '"rate_per_s": 4e-07' in text
    assert math.copysign(1, load_ok(text).topology.node("vm-1").position[0]) == -1
    assert dumps(load_ok(text)) == text


# ============================================================================ saving

def test_stale_temporary_files_of_our_naming_are_removed_by_the_next_save(tmp_path):
    target = tmp_path / "web.outbound.json"
    old = tmp_path / ".web.outbound.json.k3j_x9a2.tmp"
    fresh = tmp_path / ".web.outbound.json.abcdefgh.tmp"     # a save in progress elsewhere
    other = tmp_path / ".other.outbound.json.k3j_x9a2.tmp"   # another file's
    mine_but_a_link = tmp_path / ".web.outbound.json.linklink.tmp"
    for f in (old, fresh, other):
        f.write_text("half", encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    mine_but_a_link.symlink_to(victim)
    an_hour_ago = time.time() - 3600
    for f in (old, other):
        os.utime(f, (an_hour_ago, an_hour_ago))
    os.utime(mine_but_a_link, (an_hour_ago, an_hour_ago), follow_symlinks=False)
    save_scenario(web_tier().build(), target)
    assert not old.exists()
    assert fresh.exists() and other.exists() and mine_but_a_link.is_symlink()
    assert victim.read_text(encoding="utf-8") == "keep"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".web")) == \
        sorted([fresh.name, mine_but_a_link.name])
    assert remove_stale_temps(target, older_than_s=0) == 1     # now the fresh one too


def test_a_symlinked_target_is_followed_and_the_link_kept(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "scenario.outbound.json"
    real.write_text("{}", encoding="utf-8")
    link = tmp_path / "link.outbound.json"
    link.symlink_to(real)
    scenario = web_tier().build()
    written = save_scenario(scenario, link)
    assert link.is_symlink() and written == real.resolve()
    assert real.read_text(encoding="utf-8") == dumps(scenario)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_read_only_target_is_refused_unless_the_caller_says_replace(tmp_path):
    target = tmp_path / "locked.outbound.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o444)
    with pytest.raises(ReadOnlyTargetError) as info:
        save_scenario(web_tier().build(), target)
    assert str(target) in str(info.value) and "read-only" in str(info.value)
    assert target.read_text(encoding="utf-8") == "old"
    save_scenario(web_tier().build(), target, replace_read_only=True)
    assert target.read_text(encoding="utf-8").startswith("{")
    assert stat.S_IMODE(target.stat().st_mode) == 0o444          # still read-only


def test_a_failure_in_an_unwritable_folder_names_the_users_file(tmp_path, monkeypatch):
    target = tmp_path / "mine.outbound.json"

    def refuse(prefix="", suffix="", dir=None):  # what mkstemp does in a read-only folder
        name = os.path.join(dir, f"{prefix}abcd1234{suffix}")
        raise PermissionError(13, "Permission denied", name)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as info:
        save_scenario(web_tier().build(), target)
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_real_read_only_folder_names_the_users_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as info:
            atomic_write_bytes(folder / "out.json", b"{}")
        assert info.value.filename == str(folder / "out.json")
    finally:
        folder.chmod(0o755)


def test_a_planted_link_at_any_fixed_temporary_name_is_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    target = tmp_path / "out.json"
    for name in (".out.json.tmp", ".out.json.tmp.json", "out.json.tmp", ".out.json.XXXXXXXX.tmp"):
        (tmp_path / name).symlink_to(victim)
    atomic_write_bytes(target, b"new")
    assert victim.read_text(encoding="utf-8") == "keep"
    assert target.read_bytes() == b"new" and not target.is_symlink()


def test_save_keeps_the_mode_of_an_existing_file(tmp_path):
    target = tmp_path / "shared.outbound.json"
    target.write_text("{}", encoding="utf-8")
    target.chmod(0o640)
    save_scenario(web_tier().build(), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_round_trip_of_a_loaded_document_is_value_exact():
    doc = document(rate_per_s=4e-7, stop_s=120)
    scenario = load_ok(json.dumps(doc))
    assert to_document(scenario)["nodes"][2]["rate_per_s"] == 4e-7


# the fuzz of the issue: any number a field accepts survives load -> save -> load exactly,
# and the saved text is a fixed point (load -> save gives it back byte for byte)
from hypothesis import given, strategies as st  # noqa: E402

_rates = st.floats(min_value=0, max_value=1_000_000, allow_nan=False, allow_infinity=False)
_coords = st.floats(min_value=-1_000_000, max_value=1_000_000, allow_nan=False,
                    allow_infinity=False)


@given(rate=_rates, start=st.floats(min_value=0, max_value=31_536_000), x=_coords, y=_coords)
def test_any_accepted_number_round_trips_exactly(rate, start, x, y):
    doc = document(rate_per_s=rate, start_s=start)
    doc["nodes"][0]["position"] = [x, y]
    scenario = load_ok(json.dumps(doc))
    saved = dumps(scenario)
    again = load_ok(saved)
    gen, vm = again.topology.node("gen"), again.topology.node("vm-1")
    assert (gen.rate_per_s, gen.start_s) == (rate, start)
    assert [math.copysign(1, c) for c in vm.position] == [math.copysign(1, x),
                                                          math.copysign(1, y)]
    assert vm.position == (x, y)
    assert dumps(again) == saved
