"""Where the bundled resources (icons, examples) are, installed or run from a checkout."""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """``designer/resources`` in an installed wheel, else ``resources/`` of the checkout."""
    for candidate in (_PACKAGE / "resources", _PACKAGE.parent / "resources"):
        if (candidate / "examples").is_dir():
            return candidate
    raise FileNotFoundError("the bundled resources folder is missing from this installation")


def examples_dir() -> Path:
    return resources_dir() / "examples"


def icons_dir() -> Path:
    return resources_dir() / "icons"


def example_paths() -> list[Path]:
    """Every bundled example scenario, sorted by file name."""
    return sorted(examples_dir().glob("*.outbound.json"))


DEMO_EXAMPLE = "demo.outbound.json"


def demo_path() -> Path:
    return examples_dir() / DEMO_EXAMPLE
