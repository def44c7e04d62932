import pytest

from designer.export.code.plan import CodeOptions, plan
from designer.model import load_scenario
from designer.resources import example_paths


@pytest.fixture(scope="session")
def examples():
    """Every bundled example, loaded once: {file name: scenario}."""
    return {p.name: load_scenario(p) for p in example_paths()}


@pytest.fixture(scope="session")
def plans(examples):
    """The code plan of every example, without simulating (the writers' tests don't need the
    verdict; the golden and header tests simulate)."""
    return {name: plan(s, CodeOptions(simulate=False, source=name))
            for name, s in examples.items()}
