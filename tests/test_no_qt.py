"""The model, the engine, capacity planning and ``validate`` work with Qt made unimportable
(house rule: designer/model, designer/sim and designer/capacity never import PySide6,
shiboken6 or pyqtgraph)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = textwrap.dedent("""
    import importlib.abc, sys
    BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, Blocker())

    def loaded_qt():
        return sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED)
""")


def run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER + textwrap.dedent(code), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_blocker_really_blocks():
    """The harness itself: importing PySide6 fails under the blocker (else the test below
    could pass for the wrong reason)."""
    result = run("""
        try:
            import PySide6.QtCore
        except ImportError as exc:
            print("blocked:", exc)
    """)
    assert result.returncode == 0, result.stderr
    assert "blocked: PySide6" in result.stdout


def test_model_sim_and_importers_import_every_module_without_qt():
    result = run("""
        import importlib, pkgutil
        import designer.model, designer.sim, designer.importers, designer.export.code
        import designer.capacity, designer.export.registry
        names = ["designer.export.registry"]
        for package in (designer.model, designer.sim, designer.importers, designer.export.code,
                        designer.capacity):
            for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                importlib.import_module(info.name)
                names.append(info.name)
        assert not loaded_qt(), loaded_qt()
        print(len(names), "modules", " ".join(names))
    """)
    assert result.returncode == 0, result.stderr
    assert "designer.model.validation" in result.stdout
    assert "designer.importers.mapping" in result.stdout
    assert "designer.capacity.fixes" in result.stdout


def test_validate_command_runs_without_qt(tmp_path):
    from designer.resources import demo_path
    result = run("""
        import runpy
        try:
            runpy.run_module("designer", run_name="__main__", alter_sys=True)
        except SystemExit as exit:
            assert not loaded_qt(), loaded_qt()
            raise
    """, "validate", str(demo_path()))
    assert result.returncode == 0, result.stderr
    assert "0 error(s)" in result.stdout
    assert "Traceback" not in result.stderr


def test_export_as_code_runs_without_qt(tmp_path):
    """``export FILE OUT.tf`` (and .arm.json, .bicep) in a pipeline without Qt."""
    from designer.resources import demo_path
    for ending in (".tf", ".arm.json", ".bicep"):
        out = tmp_path / f"demo{ending}"
        result = run("""
            import runpy
            try:
                runpy.run_module("designer", run_name="__main__", alter_sys=True)
            except SystemExit as exit:
                assert not loaded_qt(), loaded_qt()
                raise
        """, "export", str(demo_path()), str(out))
        assert result.returncode == 0, result.stderr
        assert out.stat().st_size > 5000
