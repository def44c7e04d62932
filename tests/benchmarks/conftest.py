"""Benchmarks run only on request: ``pytest tests/benchmarks`` (they print figures)."""
import pytest


def pytest_collection_modifyitems(config, items):
    if any("benchmarks" in str(arg) for arg in config.args):
        return
    skip = pytest.mark.skip(reason="benchmark: run with `pytest tests/benchmarks -s`")
    for item in items:
        if "tests/benchmarks" in str(item.fspath):
            item.add_marker(skip)
