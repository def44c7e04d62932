"""The one exporter registry: every format the editor's export actions and the ``export``
command can write, by file name ending.

Two kinds of exporter share it. Diagram exporters (PNG, SVG, PDF) render a Qt scene; code
exporters (ARM, Bicep, Terraform) take the scenario itself and need no Qt. Writers are named as
``module:function`` and imported only when used, so this module (and ``export FILE OUT.tf``)
stays Qt-free.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

DIAGRAM, CODE = "diagram", "code"


@dataclass(frozen=True)
class Exporter:
    name: str
    extension: str
    label: str
    #: DIAGRAM: ``write(scene, path, ExportOptions)``; CODE: ``write(scenario, path,
    #: CodeOptions)``; both return notes for the user (or None)
    kind: str
    writer: str

    def write(self, source, path: str, options) -> list[str] | None:
        module, _, function = self.writer.partition(":")
        return getattr(importlib.import_module(module), function)(source, path, options)


EXPORTERS: dict[str, Exporter] = {e.extension: e for e in (
    Exporter("png", ".png", "PNG image", DIAGRAM, "designer.export.diagram:write_png"),
    Exporter("svg", ".svg", "SVG drawing", DIAGRAM, "designer.export.diagram:write_svg"),
    Exporter("pdf", ".pdf", "PDF document", DIAGRAM, "designer.export.diagram:write_pdf"),
    Exporter("arm", ".arm.json", "ARM template", CODE, "designer.export.code:write_code"),
    Exporter("bicep", ".bicep", "Bicep file", CODE, "designer.export.code:write_code"),
    Exporter("terraform", ".tf", "Terraform configuration", CODE,
             "designer.export.code:write_code"),
)}


def exporters(kind: str) -> dict[str, Exporter]:
    return {ext: e for ext, e in EXPORTERS.items() if e.kind == kind}


def exporter_for(path: str | os.PathLike, kind: str | None = None) -> Exporter:
    """The exporter for a file name (the longest matching ending: ``x.arm.json`` is ARM)."""
    name = Path(path).name.lower()
    choices = EXPORTERS if kind is None else exporters(kind)
    for ext in sorted(choices, key=len, reverse=True):
        if name.endswith(ext):
            return choices[ext]
    raise ValueError(f"cannot export to {Path(path).name!r}: the name must end in "
                     f"{', '.join(choices)}")
