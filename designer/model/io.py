"""Loading and saving scenario files (``*.outbound.json``, format version 1).

Loading collects *every* problem with its JSON path and raises one
:class:`ScenarioFormatError` listing them; nothing is silently dropped (unknown kinds, fields
and options are errors).  Saving is stable: keys in a fixed order, defaults left out, numbers
written so that they read back as exactly the same value (``repr``), so load -> save reproduces
a canonical document byte for byte.

Files are written through :func:`atomic_write_bytes` (the scenario saver, reports, and the
diagram exporters share it): a temporary file with a random name made with ``O_EXCL`` next to
the target (never following a planted link), fsync, then ``os.replace``.  A symlinked target is
followed (the link stays, the file it points to is replaced), a read-only target is refused
unless the caller says to replace it, errors name the user's file, and stale temporary files
of our own naming left by a killed save are removed by the next save of the same file.
"""
from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from .components import COMPONENT_CLASSES, NODE_KINDS, Component, FieldSpec, field_specs
from .links import LINK_KINDS, Link, infer_link_kind, link_kinds_between, why_not
from .options import OPTION_SPECS
from .topology import Scenario, Topology
from .values import address_problem, parse_cidr, parse_ipv4, parse_ports

FORMAT_NAME = "outbound-designer"
FORMAT_VERSION = 1
SEMANTICS = ("classic", "modern")
TOP_LEVEL_KEYS = ("format", "version", "name", "description", "semantics", "seed", "options",
                  "nodes", "links", "findings")
#: severities of a recorded finding (the ``findings`` list an importer writes)
RECORDED_SEVERITIES = ("warning", "info")
#: older versions -> function upgrading a document by one version (none exist yet)
MIGRATIONS: dict[int, Any] = {}
#: a saved line is kept on one line up to this width
LINE_WIDTH = 100


class ScenarioFormatError(ValueError):
    """An unreadable scenario.  ``problems`` is a list of (json_path, message)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__(self.summary())

    def summary(self, limit: int = 20, *, one_line: bool = False) -> str:
        """The problems for a person: one line for one problem, else a count and one indented
        line per problem (``one_line``: separated by "; " instead, for a command line)."""
        shown = [f"{path}: {msg}" if path else msg for path, msg in self.problems[:limit]]
        more = len(self.problems) - limit
        if more > 0:
            shown.append(f"... and {more} more")
        head = f"{self.source}: " if self.source else ""
        if len(shown) == 1:
            return head + shown[0]
        if one_line:
            return head + f"{len(self.problems)} problems: " + "; ".join(shown)
        return head + f"{len(self.problems)} problems:\n  " + "\n  ".join(shown)


# ============================================================================ loading

def load_scenario(path: str | os.PathLike) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioFormatError(str(path), [("", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ScenarioFormatError(str(path), [("", f"cannot read the file: {exc.strerror}")]) \
            from None
    return loads(text, source=str(path))


def loads(text: str, source: str = "<scenario>") -> Scenario:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioFormatError(
            source, [("", f"not valid JSON: {exc.msg.removesuffix(' at')} at line {exc.lineno} "
                          f"column {exc.colno}")]
        ) from None
    except RecursionError:
        raise ScenarioFormatError(source, [("", "not valid JSON: nested too deeply")]) from None
    except ValueError:  # an integer literal beyond Python's digit limit (4,300 digits)
        raise ScenarioFormatError(source, [("", "not valid JSON: a number has too many "
                                                "digits")]) from None
    return from_document(document, source=source)


def from_document(document: Any, source: str = "<scenario>") -> Scenario:
    broken = list(_lone_surrogates(document))
    if broken:
        # a lone surrogate (a JSON escape like "\ud800" without its pair) is not a character:
        # such a text cannot be saved, printed or written into a report
        raise ScenarioFormatError(source, [
            (path, "the text contains a lone surrogate escape (\\ud800-\\udfff without its "
                   "pair), which is not a character; use the character itself or a valid pair")
            for path in broken])
    loader = _Loader(source)
    scenario = loader.load(document)
    if loader.problems:
        raise ScenarioFormatError(source, loader.problems)
    return scenario


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _printable(text: str) -> str:
    """``text`` with lone surrogates written as escapes (safe to print and encode)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _lone_surrogates(value: Any, path: str = ""):
    """JSON paths of the strings (values and keys) that hold a lone surrogate."""
    stack = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _has_surrogate(value):
                yield path
        elif isinstance(value, dict):
            for key, item in value.items():
                sub = f"{path}.{_printable(key)}" if path else _printable(key)
                if _has_surrogate(key):
                    yield sub
                stack.append((item, sub))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


#: integers beyond this cannot be a float field's value or a coordinate without losing meaning
_LARGEST_NUMBER = 1e300


def _number_text(x: float) -> str:
    """A range bound for a message: 31,536,000 rather than 3.1536e+07."""
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _show(value: Any, limit: int = 60) -> str:
    """A value as JSON for a message, cut short when long."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        text = _type_name(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _is_number(value: Any) -> bool:
    """A finite JSON number (not a boolean) that a float can hold."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return -_LARGEST_NUMBER < value < _LARGEST_NUMBER
    return math.isfinite(value)


class _Loader:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[tuple[str, str]] = []
        #: ids of nodes that had problems: links to them are not reported a second time
        self.broken_ids: set[str] = set()
        #: ids of nodes without a ``position`` (placed by designer.model.layout on open)
        self.unplaced: set[str] = set()

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    # ------------------------------------------------------------------ top level
    def load(self, doc: Any) -> Scenario:
        scenario = Scenario()
        if not isinstance(doc, dict):
            self.problem("", f"expected a JSON object at the top level, got {_type_name(doc)}")
            return scenario
        if doc.get("format") != FORMAT_NAME:
            self.problem("format", f"expected \"{FORMAT_NAME}\", got {_show(doc.get('format'))}")
            return scenario
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            self.problem("version", f"expected an integer, got {_type_name(version)}")
            return scenario
        if version > FORMAT_VERSION:
            self.problem("version", f"the file has format version {version}, newer than version "
                                    f"{FORMAT_VERSION} that this program reads; open it with a "
                                    f"newer Outbound Designer")
            return scenario
        if version < 1:
            self.problem("version", f"format version {version} does not exist (expected 1)")
            return scenario
        while version < FORMAT_VERSION:
            doc = MIGRATIONS[version](doc)
            version += 1
        for key in doc:
            if key not in TOP_LEVEL_KEYS:
                self.problem(key, f"unknown top-level field (expected one of "
                                  f"{', '.join(TOP_LEVEL_KEYS)})")
        for key in ("name", "description"):
            if key in doc:
                if isinstance(doc[key], str):
                    setattr(scenario, key, doc[key])
                else:
                    self.problem(key, f"expected a string, got {_type_name(doc[key])}")
        semantics = doc.get("semantics", "classic")
        if semantics in SEMANTICS:
            scenario.semantics = semantics
        else:
            self.problem("semantics", f"expected \"classic\" or \"modern\", got {_show(semantics)}")
        seed = doc.get("seed", 1)
        if isinstance(seed, int) and not isinstance(seed, bool):
            scenario.seed = seed
        else:
            self.problem("seed", f"expected an integer, got {_type_name(seed)}")
        scenario.options = self.load_options(doc.get("options", {}))
        self.load_nodes(scenario.topology, doc.get("nodes", []))
        self.load_links(scenario.topology, doc.get("links", []))
        scenario.unplaced = frozenset(self.unplaced)
        scenario.recorded_findings = self.load_recorded_findings(doc.get("findings", []))
        return scenario

    def load_recorded_findings(self, findings: Any) -> list[dict[str, Any]]:
        """The ``findings`` an importer recorded with the document (docs/import.md): objects
        with severity (warning/info), code, message and optionally node and rule."""
        if not isinstance(findings, list):
            self.problem("findings", f"expected a list, got {_type_name(findings)}")
            return []
        out = []
        for index, raw in enumerate(findings):
            path = f"findings[{index}]"
            if not isinstance(raw, dict):
                self.problem(path, f"expected an object, got {_type_name(raw)}")
                continue
            ok = True
            for key, value in raw.items():
                if key not in ("severity", "code", "message", "node", "rule"):
                    self.problem(f"{path}.{key}", "unknown field for a recorded finding "
                                                  "(expected severity, code, message, node, rule)")
                    ok = False
                elif not isinstance(value, str):
                    self.problem(f"{path}.{key}", f"expected a string, got {_type_name(value)}")
                    ok = False
            for key in ("severity", "code", "message"):
                if key not in raw:
                    self.problem(f"{path}.{key}", "missing required field")
                    ok = False
            if ok and raw["severity"] not in RECORDED_SEVERITIES:
                self.problem(f"{path}.severity", f"expected one of "
                                                 f"{', '.join(RECORDED_SEVERITIES)}, got "
                                                 f"{_show(raw['severity'])}")
                ok = False
            if ok:
                out.append({k: raw[k] for k in ("severity", "code", "message", "node", "rule")
                            if k in raw})
        return out

    def load_options(self, options: Any) -> dict[str, Any]:
        if not isinstance(options, dict):
            self.problem("options", f"expected an object, got {_type_name(options)}")
            return {}
        out = {}
        for name, value in options.items():
            spec = OPTION_SPECS.get(name)
            if spec is None:
                self.problem(f"options.{name}", f"unknown option (known: {', '.join(OPTION_SPECS)})")
            elif value not in spec.choices or type(value) is not type(spec.default) \
                    and spec.default is not None:
                choices = ", ".join(json.dumps(c) for c in spec.choices)
                self.problem(f"options.{name}", f"expected one of {choices}, got {_show(value)}")
            else:
                out[name] = value
        return out

    # ------------------------------------------------------------------ nodes
    def load_nodes(self, topology: Topology, nodes: Any) -> None:
        if not isinstance(nodes, list):
            self.problem("nodes", f"expected a list, got {_type_name(nodes)}")
            return
        for index, raw in enumerate(nodes):
            path = f"nodes[{index}]"
            if not isinstance(raw, dict):
                self.problem(path, f"expected an object, got {_type_name(raw)}")
                continue
            node_id = raw.get("id")
            if not isinstance(node_id, str) or not node_id.strip():
                self.problem(f"{path}.id", "missing id (every node needs a unique string id)"
                             if node_id is None else f"expected a non-empty string, got "
                                                     f"{_type_name(node_id)}")
                continue
            kind = raw.get("kind")
            if not isinstance(kind, str) or kind not in COMPONENT_CLASSES:
                self.problem(f"{path}.kind", f"unknown kind {_show(kind)} (expected one of "
                                             f"{', '.join(NODE_KINDS)})")
                continue
            if node_id in topology or node_id in self.broken_ids:
                self.problem(f"{path}.id", f"duplicate id {node_id!r}")
                continue
            cls = COMPONENT_CLASSES[kind]
            fields = self.load_fields(cls, raw, path, skip=("id", "kind"))
            if fields is not None:
                topology.add_node(cls(id=node_id, **fields))
                if "position" not in raw:
                    self.unplaced.add(node_id)
            else:
                self.broken_ids.add(node_id)

    def load_fields(self, cls: type, raw: dict, path: str, skip: tuple[str, ...] = ()) \
            -> dict[str, Any] | None:
        specs = {s.name: s for s in field_specs(cls)}
        ok = True
        for key in raw:
            if key not in specs and key not in skip:
                kind = getattr(cls, "KIND", "") or cls.__name__
                self.problem(f"{path}.{key}", f"unknown field for {kind} (expected one of "
                                              f"{', '.join(specs)})")
                ok = False
        out: dict[str, Any] = {}
        for name, spec in specs.items():
            if name not in raw:
                if spec.required:
                    self.problem(f"{path}.{name}", "missing required field")
                    ok = False
                continue
            before = len(self.problems)
            value = self.load_value(spec, raw[name], f"{path}.{name}")
            if len(self.problems) > before:
                ok = False
            else:
                out[name] = value
        return out if ok else None

    def load_value(self, spec: FieldSpec, value: Any, path: str) -> Any:
        t = spec.type
        if value is None:
            if spec.optional:
                return None
            self.problem(path, "must not be null")
            return None
        if t in ("str", "enum", "ipv4", "cidr", "address", "ports"):
            if not isinstance(value, str):
                self.problem(path, f"expected a string, got {_type_name(value)}")
                return None
            if t == "enum" and value not in spec.choices:
                self.problem(path, f"expected one of {', '.join(spec.choices)}, got {_show(value)}")
            elif t == "ipv4" and parse_ipv4(value) is None:
                self.problem(path, f"expected an IPv4 address like 10.0.0.4, got {_show(value)}")
            elif t == "cidr" and parse_cidr(value) is None:
                self.problem(path, f"expected a CIDR prefix like 10.0.1.0/24, got {_show(value)}")
            elif t == "address" and (msg := address_problem(value)):
                self.problem(path, msg)
            elif t == "ports":
                try:
                    parse_ports(value)
                except ValueError as exc:
                    self.problem(path, str(exc))
            return value
        if t == "bool":
            if not isinstance(value, bool):
                self.problem(path, f"expected true or false, got {_type_name(value)}")
            return value
        if t in ("int", "float"):
            if t == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
                self.problem(path, f"expected an integer, got {_type_name(value)}")
                return None
            if not _is_number(value):
                self.problem(path, "the number is too large" if isinstance(value, int) else
                             f"expected a number, got {_type_name(value)}")
                return None
            if spec.minimum is not None and value < spec.minimum or \
                    spec.maximum is not None and value > spec.maximum:
                lo = "" if spec.minimum is None else _number_text(spec.minimum)
                hi = "" if spec.maximum is None else _number_text(spec.maximum)
                self.problem(path, f"{value} is out of range ({lo}..{hi}{' ' + spec.unit if spec.unit else ''})")
                return None
            return int(value) if t == "int" else float(value)
        if t == "point":
            if not (isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))):
                self.problem(path, f"expected [x, y] (two numbers), got {_show(value)}")
                return None
            if spec.minimum is not None and min(value) < spec.minimum or \
                    spec.maximum is not None and max(value) > spec.maximum:
                self.problem(path, f"{_show(value)} is out of range (each of x and y in "
                                   f"{_number_text(spec.minimum)}..{_number_text(spec.maximum)} "
                                   f"canvas units)")
                return None
            return (float(value[0]), float(value[1]))
        if t in ("str_list", "cidr_list"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.problem(path, "expected a list of strings")
                return None
            if t == "cidr_list":
                for i, v in enumerate(value):
                    if parse_cidr(v) is None:
                        self.problem(f"{path}[{i}]", f"expected a CIDR prefix, got {_show(v)}")
            return tuple(value)
        if t == "record":
            if not isinstance(value, dict):
                self.problem(path, f"expected an object, got {_type_name(value)}")
                return None
            fields = self.load_fields(spec.record, value, path)
            return spec.record(**fields) if fields is not None else None
        if t == "record_list":
            if not isinstance(value, list):
                self.problem(path, f"expected a list, got {_type_name(value)}")
                return None
            out = []
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    self.problem(f"{path}[{i}]", f"expected an object, got {_type_name(item)}")
                    continue
                fields = self.load_fields(spec.record, item, f"{path}[{i}]")
                if fields is not None:
                    out.append(spec.record(**fields))
            return tuple(out)
        raise AssertionError(f"unhandled field type {t}")

    # ------------------------------------------------------------------ links
    def load_links(self, topology: Topology, links: Any) -> None:
        if not isinstance(links, list):
            self.problem("links", f"expected a list, got {_type_name(links)}")
            return
        for index, raw in enumerate(links):
            path = f"links[{index}]"
            if not isinstance(raw, dict):
                self.problem(path, f"expected an object, got {_type_name(raw)}")
                continue
            for key in raw:
                if key not in ("from", "to", "kind"):
                    self.problem(f"{path}.{key}", "unknown field for a link (expected from, to, kind)")
            ends = []
            for key in ("from", "to"):
                value = raw.get(key)
                if not isinstance(value, str):
                    self.problem(f"{path}.{key}", "missing node id" if value is None else
                                 f"expected a node id string, got {_type_name(value)}")
                elif value in self.broken_ids:
                    pass  # the node's own problems are reported already
                elif value not in topology:
                    self.problem(f"{path}.{key}", f"no node with id {value!r}")
                else:
                    ends.append(value)
            if len(ends) != 2:
                continue
            source, target = ends
            skind, tkind = topology.node(source).KIND, topology.node(target).KIND
            kind = raw.get("kind")
            if kind is None:
                kind = infer_link_kind(skind, tkind)
                if kind is None:
                    options = link_kinds_between(skind, tkind)
                    self.problem(path, f"link kind needed: a {skind} can link to a {tkind} as "
                                       f"{' or '.join(options)}" if options else
                                 why_not(None, skind, tkind) or "link not allowed")
                    continue
            elif kind not in LINK_KINDS:
                self.problem(f"{path}.kind", f"unknown link kind {_show(kind)} (expected one "
                                             f"of {', '.join(LINK_KINDS)})")
                continue
            reason = why_not(kind, skind, tkind)
            if reason:
                self.problem(path, reason)
                continue
            link = Link(source, target, kind)
            if topology.has_link(link):
                self.problem(path, f"duplicate link {source} -> {target} ({kind})")
                continue
            topology.connect(link, check_limits=False)


# ============================================================================ saving

def _plain(value: Any) -> Any:
    """JSON-ready value: tuples -> lists, records -> dicts, integral floats -> ints.  Other
    floats stay as they are: ``json`` writes ``repr``, which reads back as the same float
    (a rate of 4e-07 flows/s must not become 0), and -0.0 keeps its sign."""
    if isinstance(value, float):
        negative_zero = value == 0 and math.copysign(1.0, value) < 0
        if value.is_integer() and abs(value) < 2**53 and not negative_zero:
            return int(value)
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        # nested records (LB rules, NSG rules, probe, hold) are written in full: a rule that
        # omits its ports reads as a mistake even when they are the defaults
        return record_to_dict(value, skip_defaults=False)
    return value


def record_to_dict(record: Any, *, skip_defaults: bool = True,
                   always: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in field_specs(type(record)):
        value = getattr(record, spec.name)
        if skip_defaults and value == spec.default and not spec.required and \
                spec.name not in always:
            continue
        out[spec.name] = _plain(value)
    return out


def component_to_dict(component: Component) -> dict[str, Any]:
    out: dict[str, Any] = {"id": component.id, "kind": component.KIND}
    # the position is always written, even at the default [0, 0]: a node without one is
    # read as never placed, and laid out when the file is opened (designer.model.layout)
    out.update(record_to_dict(component, always=("position",)))
    return out


def to_document(scenario: Scenario) -> dict[str, Any]:
    topology = scenario.topology
    doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
                           "name": scenario.name}
    if scenario.description:
        doc["description"] = scenario.description
    doc["semantics"] = scenario.semantics
    doc["seed"] = scenario.seed
    doc["options"] = {k: scenario.options[k] for k in OPTION_SPECS if k in scenario.options}
    doc["nodes"] = [component_to_dict(c) for c in topology.nodes()]
    doc["links"] = [{"from": link.source, "to": link.target, "kind": link.kind}
                    for link in topology.links()]
    recorded = scenario.live_recorded_findings()
    if recorded:
        doc["findings"] = recorded
    return doc


def _format(value: Any, indent: int) -> str:
    compact = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if not isinstance(value, (dict, list)) or not value or len(compact) + indent <= LINE_WIDTH:
        return compact
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_format(v, indent + 2)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _format(v, indent + 2) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def dumps(scenario: Scenario) -> str:
    """The canonical text of a scenario (what :func:`save_scenario` writes)."""
    doc = to_document(scenario)
    lines = []
    for key, value in doc.items():
        if key in ("nodes", "links", "findings"):
            inner = ",\n".join("    " + _format(item, 4) for item in value)
            lines.append(f'  "{key}": [\n{inner}\n  ]' if value else f'  "{key}": []')
        else:
            lines.append(f'  "{key}": {_format(value, 2)}')
    return "{\n" + ",\n".join(lines) + "\n}\n"


class ReadOnlyTargetError(PermissionError):
    """The target file is read-only: saving over it needs the user's say-so."""

    def __init__(self, path: Path):
        super().__init__(13, "the file is read-only (save with another name, or make it "
                             "writable)", str(path))


#: a temporary file of ours (``.NAME.<8 random chars>.tmp``) older than this belongs to a
#: save that was killed, not to one in progress, and the next save of NAME removes it
STALE_TEMP_S = 600.0


def write_target(path: str | os.PathLike) -> Path:
    """Where writing ``path`` really goes: a symlink is followed (like most editors do: the
    link stays and the file it points to gets the new content)."""
    return Path(os.path.realpath(os.fspath(path)))


def is_read_only(path: str | os.PathLike) -> bool:
    """An existing file that its owner cannot write (0444), or that we may not write."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not st.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK)


def _temp_pattern(name: str) -> re.Pattern:
    return re.compile(rf"\.{re.escape(name)}\.[A-Za-z0-9_]{{8}}\.tmp")


def remove_stale_temps(target: Path, *, older_than_s: float = STALE_TEMP_S) -> int:
    """Delete our own temporary files for ``target`` left by killed saves; returns how many.
    Only regular files of ours, with our naming and not touched for ``older_than_s``."""
    pattern = _temp_pattern(target.name)
    removed = 0
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return 0
    limit = time.time() - older_than_s
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and st.st_mtime < limit:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
    return removed


def atomic_write_bytes(path: str | os.PathLike, data: bytes | str, *,
                       replace_read_only: bool = False) -> Path:
    """Write a file so that readers see the old or the new content, never half of it.

    The data goes to a new temporary file with a random name (``mkstemp``: ``O_EXCL``, so a
    link planted in the folder is never followed) beside the real target, is synced, and
    renamed over it.  A symlinked ``path`` is followed; an existing file's mode is kept; a
    read-only target raises :class:`ReadOnlyTargetError` unless ``replace_read_only``.
    Errors are ``OSError``s that name ``path``, never the temporary file.  Returns the file
    actually written."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    target = write_target(path)
    if not replace_read_only and is_read_only(target):
        raise ReadOnlyTargetError(Path(path))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    remove_stale_temps(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.filename == tmp:
            raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from None
        raise
    return target


def atomic_write_text(path: str | os.PathLike, text: str, *,
                      replace_read_only: bool = False) -> Path:
    """:func:`atomic_write_bytes` for text (UTF-8, the lines as given)."""
    return atomic_write_bytes(path, text.encode("utf-8"), replace_read_only=replace_read_only)


def save_scenario(scenario: Scenario, path: str | os.PathLike, *,
                  replace_read_only: bool = False) -> Path:
    """Save atomically (:func:`atomic_write_bytes`); returns the file written (a symlinked
    ``path`` is followed)."""
    return atomic_write_text(path, dumps(scenario), replace_read_only=replace_read_only)
