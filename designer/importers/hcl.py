"""Terraform configuration (``.tf`` files, read with python-hcl2) -> Azure resource objects.

Many users have the configuration, not a plan: this reads it the way ``terraform plan`` would,
without Azure and without Terraform, and hands the resources to the same conversion as plans
and states (:func:`designer.importers.terraform.convert_terraform`), so every azurerm resource
the plan importer maps is mapped here too.

Read: ``variable`` defaults, overridden as Terraform does by ``terraform.tfvars`` and
``*.auto.tfvars`` (when a folder is read), ``--var-file`` files and ``--var NAME=VALUE``;
``locals``; ``count`` and ``for_each`` over values known here; ``dynamic`` blocks; references
between resources (a resource id is never known before apply: the reference is followed
instead, as with a plan).

Not read, and said so: a ``module`` call (a warning naming it: its resources are not
imported), ``data`` sources (read from Azure at plan time), a variable with no value. A value
that depends on those is left unknown with a warning naming the resource and attribute — never
a guess presented as fact; a ``count`` or ``for_each`` that cannot be known leaves that resource
out, with a warning.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ImportFailure, Note
from .hcl_expressions import (Evaluator, HclError, Scope, Unknown, parse, parse_value,
                              unknown_in)
from .inventory import AzureResource
from .terraform import TfResource, convert_terraform

#: meta-arguments and blocks that are not resource attributes
META = {"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection",
        "__is_block__"}
#: attributes that never change the outbound model: a value unknown there is only a note
NOT_OUTBOUND = {"admin_ssh_key", "admin_password", "admin_username", "custom_data",
                "user_data", "tags", "os_disk", "source_image_reference", "size", "vm_size",
                "computer_name", "boot_diagnostics", "identity", "location", "zones", "zone",
                "storage_os_disk", "storage_image_reference", "os_profile",
                "os_profile_linux_config", "plan", "additional_capabilities", "secure_boot_enabled",
                "vtpm_enabled", "encryption_at_host_enabled", "patch_mode", "timeouts",
                # resources link by Terraform references, not by ids spelled with the group
                "resource_group_name"}
_MISSING = object()


def is_hcl_source(source: str) -> bool:
    """A ``.tf`` file, or a folder with ``.tf`` files."""
    path = Path(source)
    if path.suffix == ".tf":
        return True
    return path.is_dir() and any(path.glob("*.tf"))


def _unquote(label: str) -> str:
    return label[1:-1] if label.startswith('"') and label.endswith('"') else label


def _load(path: Path) -> dict:
    try:
        import hcl2
    except ImportError:  # pragma: no cover - the extra is not installed
        raise ImportFailure("reading Terraform configuration needs python-hcl2: pip install "
                            "\"outbound-designer[terraform]\"") from None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFailure(f"{path.name}: cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ImportFailure(f"{path.name}: not UTF-8 text") from None
    try:
        return hcl2.loads(text)
    except Exception as exc:  # noqa: BLE001 - lark's errors: one line with the position
        where = ""
        line, column = getattr(exc, "line", None), getattr(exc, "column", None)
        if line is not None:
            where = f" at line {line}" + (f", column {column}" if column is not None else "")
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ImportFailure(f"{path.name}: not valid Terraform configuration{where}: "
                            f"{first[:160]}") from None


@dataclass
class _Config:
    variables: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    data: set = field(default_factory=set)
    modules: dict[str, dict] = field(default_factory=dict)
    files: dict[tuple[str, str], str] = field(default_factory=dict)   # resource -> file name


def _collect(files: list[Path]) -> _Config:
    config = _Config()
    for path in files:
        doc = _load(path)
        for block in doc.get("variable", []):
            for name, body in block.items():
                config.variables[_unquote(name)] = body
        for block in doc.get("locals", []):
            config.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
        for block in doc.get("resource", []):
            for type_, named in block.items():
                for name, body in named.items():
                    key = (_unquote(type_), _unquote(name))
                    config.resources[key] = body
                    config.files[key] = path.name
        for block in doc.get("data", []):
            for type_, named in block.items():
                for name in named:
                    config.data.add((_unquote(type_), _unquote(name)))
        for block in doc.get("module", []):
            for name, body in block.items():
                config.modules[_unquote(name)] = body
    return config


# ==================================================================================== scope

@dataclass(frozen=True)
class _Instance:
    type: str
    name: str
    key: Any = None      # count index or for_each key; None for a single instance

    @property
    def address(self) -> str:
        base = f"{self.type}.{self.name}"
        if self.key is None:
            return base
        return f"{base}[{self.key}]" if isinstance(self.key, int) else f'{base}["{self.key}"]'


@dataclass(frozen=True)
class _Namespace:
    kind: str            # "var", "local", "data", "data:TYPE", "module", "resource:TYPE"
    name: str = ""


class _Reader(Scope):
    def __init__(self, config: _Config, values: dict[str, Any], source: str):
        self.config = config
        self.resource_types = {t for t, _ in config.resources}
        self.values = values
        self.source = source
        self.evaluator = Evaluator(self)
        self.context: dict[str, Any] = {}        # count / each of the instance being read
        self.locals_done: dict[str, Any] = {}
        self.busy: set = set()
        self.instances: dict[tuple[str, str], list[_Instance] | None] = {}
        self.attribute_cache: dict[tuple, Any] = {}
        #: why a value is unknown -> the resource attributes it made unknown
        self.unknown_users: dict[str, list[str]] = {}
        self.notes: list[Note] = []

    # ---------------------------------------------------------------- names
    def root(self, name: str, tree) -> Any:
        if name in self.context and name != "count.index":   # a dynamic block's iterator
            return self.context[name]
        if name in ("var", "local", "data", "module"):
            return _Namespace(name)
        if name == "count":
            if "count.index" not in self.context:
                raise HclError("count.index outside a resource with count")
            return {"index": self.context["count.index"]}
        if name == "each":
            if "each" not in self.context:
                raise HclError("each outside a resource with for_each")
            return self.context["each"]
        if name == "path":
            return {"module": ".", "root": ".", "cwd": "."}
        if name == "terraform":
            return {"workspace": "default"}
        if name == "self":
            return Unknown(why=frozenset({"self is known only at apply time"}))
        if name in self.resource_types:
            return _Namespace("resource", name)
        raise HclError(f"reference to an undeclared resource type or name {name!r}")

    def traverse(self, value: Any, step: Any) -> Any:
        if isinstance(value, _Namespace):
            if isinstance(step, tuple):
                raise HclError(f"{value.kind} cannot be indexed")
            if value.kind == "var":
                return self.variable(step)
            if value.kind == "local":
                return self.local(step)
            if value.kind == "data":
                return _Namespace("data:" + step)
            if value.kind.startswith("data:"):
                return Unknown(why=frozenset({
                    f"data.{value.kind[5:]}.{step} is read from Azure when Terraform plans"}))
            if value.kind == "module":
                if step not in self.config.modules:
                    raise HclError(f"reference to an undeclared module {step!r}")
                return Unknown(why=frozenset({f"module.{step} is a module call, not read"}))
            return self.resource(value.name, step)
        if isinstance(value, _Instance):
            if isinstance(step, tuple):
                raise HclError(f"{value.address} cannot be indexed")
            return self.resource_attribute(value, step)
        raise HclError(f"no attribute {step!r}")

    def variable(self, name: str) -> Any:
        if name not in self.config.variables:
            raise HclError(f"reference to an undeclared variable var.{name}")
        value = self.values.get(name, _MISSING)
        if value is _MISSING:
            return Unknown(why=frozenset({f"var.{name} has no value (no default, no --var)"}))
        return value

    def local(self, name: str) -> Any:
        if name in self.locals_done:
            return self.locals_done[name]
        if name not in self.config.locals:
            raise HclError(f"reference to an undeclared local value local.{name}")
        if ("local", name) in self.busy:
            raise HclError(f"local.{name} refers to itself")
        self.busy.add(("local", name))
        saved, self.context = self.context, {}
        try:
            value = self.evaluator.eval(parse_value(self.config.locals[name]))
        finally:
            self.context = saved
            self.busy.discard(("local", name))
        self.locals_done[name] = value
        return value

    # ---------------------------------------------------------------- resources
    def resource(self, type_: str, name: str) -> Any:
        if (type_, name) not in self.config.resources:
            raise HclError(f"reference to an undeclared resource {type_}.{name}")
        instances = self.expand(type_, name)
        if instances is None:
            return Unknown(refs=frozenset({f"{type_}.{name}"}), why=frozenset({
                f"the count or for_each of {type_}.{name} is not known here"}))
        body = self.config.resources[(type_, name)]
        if "for_each" in body:
            return {inst.key: inst for inst in instances}
        if "count" in body:
            return list(instances)
        return instances[0]

    def expand(self, type_: str, name: str) -> list[_Instance] | None:
        """The instances of a resource (None when its count or for_each is unknown)."""
        key = (type_, name)
        if key in self.instances:
            return self.instances[key]
        body = self.config.resources[key]
        saved, self.context = self.context, {}
        try:
            if "count" in body:
                count = self.evaluator.eval(parse_value(body["count"]))
                out = None if unknown_in(count) else \
                    [_Instance(type_, name, i) for i in range(int(count))]
            elif "for_each" in body:
                each = self.evaluator.eval(parse_value(body["for_each"]))
                if unknown_in(each) is not None:
                    out = None
                elif isinstance(each, dict):
                    out = [_Instance(type_, name, str(k)) for k in each]
                else:
                    out = [_Instance(type_, name, str(k)) for k in each]
            else:
                out = [_Instance(type_, name)]
        finally:
            self.context = saved
        self.instances[key] = out
        return out

    def each_value(self, inst: _Instance) -> dict:
        body = self.config.resources[(inst.type, inst.name)]
        if "for_each" in body:
            each = self.evaluator.eval(parse_value(body["for_each"]))
            value = each[inst.key] if isinstance(each, dict) else inst.key
            return {"each": {"key": inst.key, "value": value}}
        if "count" in body:
            return {"count.index": inst.key}
        return {}

    def resource_attribute(self, inst: _Instance, attribute: str) -> Any:
        """An attribute of another resource: its configured value when it is known here
        (a name, a location...), else unknown with a reference to the resource (an id)."""
        body = self.config.resources[(inst.type, inst.name)]
        unknown = Unknown(refs=frozenset({inst.address}))
        if attribute == "id" or attribute not in body or attribute in META or \
                attribute.startswith("__"):
            return unknown
        cache_key = (inst.address, attribute)
        if cache_key in self.attribute_cache:
            return self.attribute_cache[cache_key]
        if cache_key in self.busy:
            return unknown
        self.busy.add(cache_key)
        saved, self.context = self.context, self.each_value(inst)
        try:
            raw = body[attribute]
            if _is_blocks(raw):
                value = [self.block_values(b, (), inst, {})[0] for b in raw]
            else:
                value = self.evaluator.eval(parse_value(raw))
        finally:
            self.context = saved
            self.busy.discard(cache_key)
        u = unknown_in(value)
        if u is not None:
            value = u | unknown
        self.attribute_cache[cache_key] = value
        return value

    # ---------------------------------------------------------------- reading instances
    def read(self) -> list[TfResource]:
        for name, body in sorted(self.config.modules.items()):
            source = body.get("source")
            where = f" ({_unquote(source)})" if isinstance(source, str) else ""
            self.notes.append(Note(
                "warning", "import-module-not-read",
                f"module.{name}{where}: module calls are not read, so the resources the module "
                f"creates are not imported (import the plan, terraform show -json, to have "
                f"them)", f"module.{name}"))
        records = []
        for (type_, name), body in self.config.resources.items():
            try:
                instances = self.expand(type_, name)
            except HclError as exc:
                raise ImportFailure(f"{self.config.files[(type_, name)]}: {type_}.{name}: "
                                    f"{exc}") from None
            if instances is None:
                what = "count" if "count" in body else "for_each"
                self.notes.append(Note(
                    "warning", "import-unknown-count",
                    f"{type_}.{name}: its {what} depends on a value known only at apply time "
                    f"(or on a variable with no value), so it is not imported", f"{type_}.{name}"))
                continue
            for inst in instances:
                self.context = self.each_value(inst)
                references: dict[tuple, list[str]] = {}
                try:
                    values, _ = self.block_values(body, (), inst, references)
                except HclError as exc:
                    raise ImportFailure(f"{self.config.files[(type_, name)]}: {inst.address}: "
                                        f"{exc}") from None
                finally:
                    self.context = {}
                records.append(TfResource(inst.address, type_, values, references, inst.key))
        return records

    def block_values(self, body: dict, path: tuple, inst: _Instance,
                     references: dict[tuple, list[str]]) -> tuple[dict, dict]:
        out: dict[str, Any] = {}
        for key, raw in body.items():
            if key in META or key.startswith("__"):   # python-hcl2's __comments__ and marks
                continue
            if key == "dynamic" and isinstance(raw, list):
                self.dynamic_blocks(raw, out, path, inst, references)
                continue
            if _is_blocks(raw):
                blocks = out.setdefault(key, [])
                for block in raw:
                    values, _ = self.block_values(block, path + (key, len(blocks)), inst,
                                                  references)
                    blocks.append(values)
                continue
            value = self.evaluator.eval(parse_value(raw))
            u = unknown_in(value)
            if u is not None:
                if u.refs:
                    references[path + (key,)] = sorted(u.refs)
                for why in u.why:
                    self.unknown_users.setdefault(why, []).append(
                        ".".join([inst.address] + [str(p) for p in path + (key,)]))
                value = _strip_unknown(value)
            out[key] = value
        return out, references

    def dynamic_blocks(self, raw: list, out: dict, path: tuple, inst: _Instance,
                       references: dict) -> None:
        for entry in raw:
            for label, spec in entry.items():
                label = _unquote(label)
                iterator = _unquote(spec.get("iterator", label)) if isinstance(
                    spec.get("iterator"), str) else label
                each = self.evaluator.eval(parse_value(spec.get("for_each", "${[]}")))
                if unknown_in(each) is not None:
                    self.unknown_users.setdefault(
                        next(iter(each.why), "a dynamic block's for_each is not known here"),
                        []).append(f"{inst.address}.{label}")
                    continue
                pairs = each.items() if isinstance(each, dict) else enumerate(each)
                blocks = out.setdefault(label, [])
                for k, v in pairs:
                    self.context = {**self.context, iterator: {"key": k, "value": v}}
                    for content in spec.get("content", []):
                        values, _ = self.block_values(content, path + (label, len(blocks)),
                                                      inst, references)
                        blocks.append(values)
                    self.context = {k2: v2 for k2, v2 in self.context.items() if k2 != iterator}

    def unknown_notes(self) -> list[Note]:
        out = []
        for why, users in sorted(self.unknown_users.items()):
            users = list(dict.fromkeys(users))
            relevant = [u for u in users if not _not_outbound(u)]
            shown = ", ".join((relevant or users)[:4]) + (
                f" and {len(relevant or users) - 4} more" if len(relevant or users) > 4 else "")
            out.append(Note("warning" if relevant else "info", "import-unknown-value",
                            f"{why}: {shown} left unknown", (relevant or users)[0]))
        for name in sorted(self.evaluator.unsupported):
            # the values it left unknown have their note above (a warning where they matter);
            # one that try() replaced by its fallback left nothing unknown
            if f"function {name}() is not supported by the importer" not in self.unknown_users:
                out.append(Note("info", "import-unsupported-function",
                                f"function {name}() is not supported by the importer; no value "
                                f"the import uses depends on it (try() gave its fallback)"))
        return out


def _not_outbound(user: str) -> bool:
    parts = re.sub(r"\[[^\]]*\]", "", user).split(".")
    return any(p in NOT_OUTBOUND for p in parts[2:])


def _is_blocks(raw: Any) -> bool:
    return isinstance(raw, list) and bool(raw) and all(
        isinstance(b, dict) and b.get("__is_block__") for b in raw)


def _strip_unknown(value: Any) -> Any:
    if isinstance(value, Unknown):
        return None
    if isinstance(value, list):
        return [_strip_unknown(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip_unknown(v) for k, v in value.items()}
    return value


# ================================================================================ variables

def _variable_values(config: _Config, folder: Path | None, var_files: list[str],
                     variables: dict[str, str], notes: list[Note]) -> dict[str, Any]:
    """Defaults < terraform.tfvars < *.auto.tfvars < --var-file files < --var values."""
    values: dict[str, Any] = {}
    plain = Evaluator(Scope())
    for name, body in config.variables.items():
        if "default" in body:
            try:
                values[name] = plain.eval(parse_value(body["default"]))
            except HclError as exc:
                raise ImportFailure(f"variable {name}: default: {exc}") from None
    files: list[Path] = []
    if folder is not None:
        auto = folder / "terraform.tfvars"
        files += [auto] if auto.is_file() else []
        files += sorted(folder.glob("*.auto.tfvars")) + sorted(folder.glob("*.auto.tfvars.json"))
    files += [Path(f) for f in var_files]
    for path in files:
        if path.suffix == ".json":
            try:
                given = json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError) as exc:
                raise ImportFailure(f"{path.name}: not a JSON variables file: {exc}") from None
        else:
            if not path.is_file():
                raise ImportFailure(f"--var-file: no such file: {path}")
            doc = _load(path)
            given = {}
            for key, raw in doc.items():
                if key.startswith("__"):
                    continue
                try:
                    given[key] = plain.eval(parse_value(raw))
                except HclError as exc:
                    raise ImportFailure(f"{path.name}: {key}: {exc}") from None
        for key, value in given.items():
            if key not in config.variables:
                notes.append(Note("warning", "import-undeclared-variable",
                                  f"{path.name}: a value for undeclared variable {key} is "
                                  f"ignored"))
                continue
            values[key] = value
    for key, text in variables.items():
        if key not in config.variables:
            raise ImportFailure(f"--var {key}: no variable {key!r} is declared "
                                f"(declared: {', '.join(sorted(config.variables)) or 'none'})")
        type_text = str(config.variables[key].get("type", "string"))
        if "string" in type_text and "(" not in type_text:
            values[key] = text
        else:
            try:
                values[key] = plain.eval(parse(text))
            except HclError:
                values[key] = text
    return values


# ==================================================================================== entry

def read_hcl(source: str, variables: dict[str, str] | None = None,
             var_files: list[str] | None = None) -> tuple[list[AzureResource], list[Note]]:
    """The Azure resources of a Terraform configuration: a ``.tf`` file, or a folder of them."""
    path = Path(source)
    if path.is_dir():
        files = sorted(path.glob("*.tf"))
        folder: Path | None = path
        if not files:
            raise ImportFailure(f"{source}: no .tf files in this folder")
    else:
        if not path.is_file():
            raise ImportFailure(f"{source}: no such file")
        files, folder = [path], None
    config = _collect(files)
    notes: list[Note] = []
    values = _variable_values(config, folder, list(var_files or []), dict(variables or {}),
                              notes)
    reader = _Reader(config, values, path.name)
    records = reader.read()
    skipped = [r for r in records if not r.type.startswith("azurerm_")]
    for r in skipped:
        notes.append(Note("info", "import-skipped", f"{r.address} not imported: not an azurerm "
                                                    f"resource", r.address))
    records = [r for r in records if r.type.startswith("azurerm_")]
    resources, more = convert_terraform(records, source=path.name)
    return resources, notes + reader.notes + reader.unknown_notes() + more
