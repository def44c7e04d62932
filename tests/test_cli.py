"""The command line in a subprocess (``python -m designer``): help, version, examples, and
``validate`` with its exit codes (0 no errors, 1 error findings, 2 unreadable input)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from designer import __version__
from designer.model import Link, dumps
from designer.resources import demo_path, example_paths

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "model"))
from model_builders import web_tier  # noqa: E402


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "designer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def error_file(tmp_path) -> Path:
    """A readable scenario with one error finding: a public IP attached twice."""
    scenario = web_tier("classic").build()
    scenario.topology.connect(Link("web-1", "lb-ip", "instance_ip"))
    path = tmp_path / "twice.outbound.json"
    path.write_text(dumps(scenario), encoding="utf-8")
    return path


def assert_one_line_error(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_help():
    result = cli("--help")
    assert result.returncode == 0
    assert "usage: outbound-designer" in result.stdout
    for command in ("validate", "simulate", "export", "examples"):
        assert command in result.stdout
    result = cli("validate", "--help")
    assert result.returncode == 0 and "FILE" in result.stdout


def test_version():
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"outbound-designer {__version__}"


def test_examples_lists_every_bundled_example():
    result = cli("examples")
    assert result.returncode == 0, result.stderr
    for path in example_paths():
        assert path.name in result.stdout
    assert "unreadable" not in result.stdout
    verbose = cli("examples", "-v")
    assert str(demo_path()) in verbose.stdout


def test_validate_good_file_exits_0():
    result = cli("validate", str(demo_path()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout
    assert result.stderr == ""


def test_validate_every_example_exits_0():
    result = cli("validate", *map(str, example_paths()))
    assert result.returncode == 0, result.stdout


def test_validate_error_finding_exits_1(error_file):
    result = cli("validate", str(error_file))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "public-ip-attached-twice" in result.stdout
    assert "1 error(s)" in result.stdout


def test_validate_json(error_file):
    result = cli("validate", "--json", str(error_file))
    assert result.returncode == 1
    findings = json.loads(result.stdout)[str(error_file)]
    assert findings[0]["severity"] == "error"
    assert findings[0]["code"] == "public-ip-attached-twice"
    assert findings[0]["node"] == "lb-ip"


def test_validate_notes_only_with_verbose(tmp_path):
    scenario = web_tier("classic").build()
    scenario.topology.disconnect(Link("web-2", "sub", "in_subnet"))
    path = tmp_path / "note.outbound.json"
    path.write_text(dumps(scenario), encoding="utf-8")
    quiet, verbose = cli("validate", str(path)), cli("validate", "-v", str(path))
    assert quiet.returncode == verbose.returncode == 0
    assert "vm-implied-subnet" not in quiet.stdout and "1 note(s)" in quiet.stdout
    assert "vm-implied-subnet" in verbose.stdout


@pytest.mark.parametrize("content", [
    '{"format": "outbound-designer", "version": 1, "nodes": [',   # truncated JSON
    '{"format": "outbound-designer", "version": 9}',               # newer version
    b'\xff\xfe\x00garbage',                                         # not UTF-8
    '{"format": "outbound-designer", "version": 1, "seed": "x", "nodes": [{"kind": "vm"}]}',
], ids=["truncated", "newer-version", "not-utf8", "two-problems"])
def test_validate_broken_file_exits_2_with_one_line(tmp_path, content):
    path = tmp_path / "broken.outbound.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = cli("validate", str(path))
    assert_one_line_error(result)
    assert str(path) in result.stderr


def test_validate_missing_file_exits_2(tmp_path):
    result = cli("validate", str(tmp_path / "nope.outbound.json"))
    assert_one_line_error(result)
    assert "cannot read" in result.stderr


def test_validate_unreadable_beats_findings(tmp_path, error_file):
    broken = tmp_path / "broken.outbound.json"
    broken.write_text("{", encoding="utf-8")
    result = cli("validate", str(error_file), str(broken))
    assert result.returncode == 2
    assert "public-ip-attached-twice" in result.stdout  # the readable file is still reported


def test_validate_without_a_file_is_a_usage_error():
    result = cli("validate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_commands_are_one_module_each_and_never_import_the_dispatcher():
    """The house rule for commands: one module per command in designer/commands, none
    importing back from designer.cli (they share designer.commands.base instead)."""
    import ast

    from designer.commands import COMMANDS, command_module
    for name in COMMANDS:
        module = command_module(name)
        for attr in ("HELP", "DESCRIPTION", "add_arguments", "run"):
            assert hasattr(module, attr), (name, attr)
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = ("." * node.level) + (node.module or "")
                assert target not in ("..cli", "designer.cli"), (name, target)
