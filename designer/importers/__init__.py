"""Importers: the user's real deployment in, as a scenario that validates and simulates.

Four sources, one intermediate form, one mapper (docs/import.md)::

    ARM template ──evaluate (arm.py)──┐
    resolved resources (resources.py) ├─> Azure resource objects ─> Inventory ─> mapping ─> Scenario
    Terraform plan/state (terraform.py)┤       (inventory.py)                    (mapping*.py)
    live subscription (azure_live.py) ─┘

Entry points: :func:`import_sources` (files and ``azure:SUB/RG`` specs, as the command line
and the editor use it), :func:`import_arm` (a template as a library call) and
:func:`import_resources` (resource objects from anywhere). All raise only
:class:`ImportFailure`, whose message is one line. Qt-free, like the model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..model import Scenario
from ..model.layout import apply_positions, layout_positions
from .arm import (TemplateParameter, coerce_parameter, evaluate_template, is_arm_template,
                  parameter_values_from_file, read_json, template_parameters)
from .azure_live import ResourceGroupReader, is_live_spec, read_live
from .errors import ImportFailure, Note
from .hcl import is_hcl_source, read_hcl
from .inventory import AzureResource, Inventory
from .mapping import map_inventory
from .resources import is_resource_document, read_resources
from .summary import ImportSummary
from .terraform import TfResource, convert_terraform, is_terraform_document, read_terraform

FORMATS = ("arm", "resources", "terraform", "hcl", "azure")
FORMAT_WORDS = {"arm": "an ARM template", "terraform": "a Terraform plan or state",
                "hcl": "Terraform configuration (.tf files)",
                "resources": "a list of Azure resources", "azure": "a live subscription"}

__all__ = ["FORMATS", "AzureResource", "ImportFailure", "ImportSummary", "Note",
           "TemplateParameter", "TfResource", "convert_terraform", "detect_format",
           "import_arm", "import_resources", "import_sources", "read_source",
           "template_parameters"]


def detect_format(doc: Any) -> str | None:
    """``arm``, ``terraform`` or ``resources`` for a parsed JSON document, else None."""
    if is_arm_template(doc):
        return "arm"
    if is_terraform_document(doc):
        return "terraform"
    if is_resource_document(doc):
        return "resources"
    return None


def read_source(source: str, fmt: str | None = None) -> tuple[str, Any]:
    """(format, parsed document) of a file; ``azure:...`` specs give ("azure", None)."""
    if fmt == "azure" or (fmt is None and is_live_spec(source)):
        return "azure", None
    if fmt == "hcl" or (fmt is None and is_hcl_source(source)):
        return "hcl", None       # read by read_hcl, with the variable values
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailure(f"{source}: not UTF-8 text") from None
    except OSError as exc:
        raise ImportFailure(f"{source}: cannot read the file: {exc.strerror}") from None
    name = path.name
    doc = read_json(text, name)
    found = detect_format(doc)
    if fmt is None:
        if found is None:
            raise ImportFailure(f"{name}: not an ARM template, a Terraform plan or state (terraform "
                                f"show -json) or a list of Azure resources; name the format "
                                f"with --format if it is one of them")
        return found, doc
    checks = {"arm": is_arm_template, "terraform": is_terraform_document,
              "resources": is_resource_document}
    if fmt not in checks:
        raise ImportFailure(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if not checks[fmt](doc):
        raise ImportFailure(f"{name}: not {FORMAT_WORDS[fmt]}"
                            + (f" (it looks like {FORMAT_WORDS[found]})" if found else ""))
    return fmt, doc


def split_parameters(templates: list[tuple[str, dict]], given: dict[str, Any],
                     from_text: bool) -> dict[str, dict[str, Any]]:
    """Parameter values per template: each template gets the values it declares. A value no
    template declares is an error (a typo would otherwise pass unnoticed)."""
    out: dict[str, dict[str, Any]] = {name: {} for name, _ in templates}
    used = set()
    for name, template in templates:
        declared = {p.name.lower(): p for p in template_parameters(template)}
        for key, value in given.items():
            parameter = declared.get(key.lower())
            if parameter is not None:
                out[name][parameter.name] = coerce_parameter(parameter, key, value) \
                    if from_text and isinstance(value, str) else value
                used.add(key)
    unknown = [k for k in given if k not in used]
    if unknown and templates:
        raise ImportFailure(f"parameter(s) {', '.join(unknown)} not declared by "
                            f"{'any template' if len(templates) > 1 else templates[0][0]}")
    if unknown:
        raise ImportFailure(f"parameter(s) {', '.join(unknown)} given, but no source is an "
                            f"ARM template")
    return out


def import_resources(resources: list[AzureResource], notes: list[Note] | None = None, *,
                     sources: list[tuple[str, str]] | None = None,
                     load: float | None = None) -> tuple[Scenario, ImportSummary]:
    """The scenario for Azure resource objects from any source (the common tail)."""
    scenario, all_notes = map_inventory(Inventory(resources), notes or [], load)
    unique: list[Note] = []
    seen = set()
    for note in all_notes:
        key = (note.severity, note.code, note.message, note.node)
        if key not in seen:
            seen.add(key)
            unique.append(note)
    sources = sources or []
    names = ", ".join(name for name, _ in sources) or "resources"
    scenario.name = f"Imported from {names}"
    scenario.description = (f"Imported by Outbound Designer from {names}. What the import "
                            f"skipped or could not model is listed in the findings.")
    scenario.recorded_findings = [n.to_finding() for n in unique]
    # positions and box sizes from the one layout of files without positions: the file
    # opens, exports and diffs the same everywhere (it was written with every node at 0, 0)
    apply_positions(scenario.topology, *layout_positions(scenario.topology))
    return scenario, ImportSummary.of(sources, scenario, unique)


def import_arm(template: Any, parameters: dict[str, Any] | None = None, *,
               source: str = "template", load: float | None = None
               ) -> tuple[Scenario, ImportSummary]:
    """An ARM template (parsed JSON) and parameter values -> (scenario, summary)."""
    resources, notes = evaluate_template(template, parameters or {}, source=source)
    return import_resources(resources, notes, sources=[(source, "arm")], load=load)


def import_sources(sources: list[str], *, fmt: str | None = None,
                   parameters: dict[str, str] | None = None,
                   parameter_files: list[str] | None = None, load: float | None = None,
                   variables: dict[str, str] | None = None,
                   variable_files: list[str] | None = None,
                   azure_reader: ResourceGroupReader | None = None,
                   progress: Callable[[int, int, str], None] | None = None
                   ) -> tuple[Scenario, ImportSummary]:
    """Files (ARM templates, resource lists, Terraform JSON) and ``azure:SUB/RG`` specs,
    merged into one scenario. ``parameters`` are ``--param`` strings (converted to each
    parameter's declared type); ``parameter_files`` are ``--params`` files; ``variables``
    (``--var``) and ``variable_files`` (``--var-file``) are for Terraform configuration."""
    if not sources:
        raise ImportFailure("no source to import")
    read = [(source, *read_source(source, fmt)) for source in sources]
    templates = [(Path(s).name, doc) for s, f, doc in read if f == "arm"]
    given_files: dict[str, Any] = {}
    for path in parameter_files or []:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ImportFailure(f"{path}: cannot read the file: {exc.strerror}") from None
        doc = read_json(text, Path(path).name)
        given_files.update(parameter_values_from_file(doc, Path(path).name))
    per_template = split_parameters(templates, given_files, from_text=False)
    for name, values in split_parameters(templates, dict(parameters or {}),
                                         from_text=True).items():
        per_template[name].update(values)
    resources: list[AzureResource] = []
    notes: list[Note] = []
    labels = []
    for source, kind, doc in read:
        # (a folder given as "." has no name of its own: its absolute path has)
        name = source if kind == "azure" else (Path(source).name or Path(source).resolve().name)
        labels.append((name, kind))
        if kind == "arm":
            found, more = evaluate_template(doc, per_template.get(name, {}), source=name)
        elif kind == "terraform":
            found, more = read_terraform(doc, name)
        elif kind == "hcl":
            found, more = read_hcl(source, variables, variable_files)
        elif kind == "resources":
            found, more = read_resources(doc, name), []
        else:
            found, more = read_live(source, azure_reader, progress), []
        resources += found
        notes += more
    return import_resources(resources, notes, sources=labels, load=load)
