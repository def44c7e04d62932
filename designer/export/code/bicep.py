"""Bicep from a :class:`CodePlan`: the same resources as the ARM template, written the way
Bicep is meant to be written.

- References are symbolic (``lbIp.id``); subnets and backend pools that other resources refer
  to are declared ``existing`` under their parent (``webSubnet.id``), the pattern that keeps
  subnets inside their VNet. The one exception is a load balancer's references to its own
  frontends, pool and probe: Bicep cannot refer to a resource from inside its own declaration,
  so those few are ``resourceId()`` calls, as in Microsoft's own Bicep samples.
- No ``dependsOn``: Bicep derives the order from the references.
- A pool of identical VMs is a ``for`` loop over its NICs and VMs.
"""
from __future__ import annotations

import re
import textwrap
from typing import Any

from .arm import LINUX_CONFIGURATION, deploy_hint as _arm_hint
from .azure import (Interpolate, LoopName, OutputValue, Param, Ref, Resource, Template, Var,
                    template)
from .naming import BICEP_RESERVED, Symbols, bicep_symbol
from .plan import DEFAULT_ADMIN_USERNAME, DEFAULT_IMAGE, DEFAULT_VM_SIZE, CodePlan

INDENT = "  "
WIDTH = 100
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def string(text: str) -> str:
    """A Bicep string literal."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${")
    return f"'{escaped}'"


def comment_lines(text: str, indent: str = "") -> list[str]:
    return [f"{indent}// {line}" for line in
            textwrap.wrap(text, WIDTH - len(indent) - 3, break_on_hyphens=False)]


class _Bicep:
    def __init__(self, p: CodePlan, tpl: Template):
        self.p = p
        self.tpl = tpl
        self.by_key = tpl.by_key()
        self.symbols = Symbols(reserved=BICEP_RESERVED)
        self.symbol: dict[str, str] = {}
        for r in tpl.resources:
            self.symbol[r.key] = self.symbols.claim(bicep_symbol(r.symbol),
                                                    r.kind_suffix)
        #: existing child declarations: (parent key, collection, name) -> symbol
        self.existing: dict[tuple[str, str, str], str] = {}
        self.current: Resource | None = None

    # ---------------------------------------------------------------- expressions
    def expr(self, value: Any, indent: str) -> str:
        if isinstance(value, str):
            return string(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Param):
            return value.name
        if isinstance(value, Var):
            return value.name
        if isinstance(value, LoopName):
            index = f"i + {value.loop.start}" if value.loop.start else "i"
            return string(f"{value.loop.prefix}") [:-1] + "${" + index + "}" + \
                string(value.suffix)[1:]
        if isinstance(value, Interpolate):
            parts = value.template.split("{}")
            out = string(parts[0])[:-1]
            for arg, part in zip(value.args, parts[1:]):
                out += "${" + self.expr(arg, indent) + "}" + string(part)[1:-1]
            return out + "'"
        if isinstance(value, Ref):
            return self.reference(value)
        if isinstance(value, OutputValue):
            return f"{self.symbol[value.key]}.properties.{value.property}"
        if isinstance(value, dict):
            return self.obj(value, indent)
        if isinstance(value, (list, tuple)):
            return self.array(value, indent)
        raise TypeError(f"no Bicep expression for {value!r}")

    def reference(self, ref: Ref) -> str:
        target = self.by_key[ref.key]
        if ref.child is None:
            index = "[i]" if ref.indexed else ""
            return f"{self.symbol[ref.key]}{index}.id"
        collection, name = ref.child
        if self.current is not None and ref.key == self.current.key:
            # a load balancer's reference to its own part: Bicep has no symbol for it
            return (f"resourceId({string(target.type + '/' + collection)}, "
                    f"{string(target.name)}, {string(name)})")
        return f"{self.existing_symbol(ref.key, collection, name)}.id"

    def existing_symbol(self, parent: str, collection: str, name: str) -> str:
        handle = (parent, collection, name)
        if handle not in self.existing:
            base = f"{name}-subnet" if collection == "subnets" else \
                f"{self.by_key[parent].name}-{name}"
            self.existing[handle] = self.symbols.claim(bicep_symbol(base),
                                                       "Of" + self.symbol[parent][0].upper()
                                                       + self.symbol[parent][1:])
        return self.existing[handle]

    def obj(self, value: dict, indent: str) -> str:
        if not value:
            return "{}"
        inner = indent + INDENT
        lines = ["{"]
        for k, v in value.items():
            key = k if _IDENTIFIER.match(k) else string(k)
            lines.append(f"{inner}{key}: {self.expr(v, inner)}")
        lines.append(indent + "}")
        return "\n".join(lines)

    def array(self, value, indent: str) -> str:
        if not value:
            return "[]"
        inner = indent + INDENT
        return "\n".join(["["] + [inner + self.expr(v, inner) for v in value] + [indent + "]"])

    # ---------------------------------------------------------------- declarations
    def resource(self, r: Resource) -> list[str]:
        self.current = r
        lines = comment_lines(r.comment) if r.comment else []
        body = {"name": r.name, **r.body}
        head = f"resource {self.symbol[r.key]} '{r.type}@{r.api}' = "
        if r.loop:
            text = self.obj(body, "")
            lines.append(f"{head}[for i in range(0, {r.loop.count}): {text}]")
        else:
            lines.append(head + self.obj(body, ""))
        self.current = None
        return lines

    def existing_declarations(self, r: Resource) -> list[str]:
        out = []
        for (parent, collection, name), symbol in self.existing.items():
            if parent != r.key:
                continue
            out += ["", f"resource {symbol} '{r.type}/{collection}@{r.api}' existing = {{",
                    f"{INDENT}parent: {self.symbol[parent]}", f"{INDENT}name: {string(name)}",
                    "}"]
        return out

    def parameters(self) -> list[str]:
        def param(description: str, declaration: str) -> list[str]:
            return [f"@description({string(description)})", declaration, ""]

        out = param("Azure region of every resource (default: the resource group's)",
                    "param location string = resourceGroup().location")
        if self.p.groups:
            out += param("administrator account of every VM",
                         f"param adminUsername string = {string(DEFAULT_ADMIN_USERNAME)}")
            out += param("SSH public key of adminUsername on every VM (for example the contents "
                         "of ~/.ssh/id_ed25519.pub); password sign-in is off",
                         "param adminSshPublicKey string")
            out += param("size of every VM", f"param vmSize string = {string(DEFAULT_VM_SIZE)}")
            out += param("image of every VM (a Linux image: the VMs sign in with SSH keys)",
                         f"param vmImage object = {self.obj(dict(DEFAULT_IMAGE), '')}")
            out += [f"var linuxConfiguration = {self.obj(LINUX_CONFIGURATION, '')}", ""]
        return out

    def document(self) -> str:
        header = []
        for line in self.p.header + [bicep_hint(self.p)]:
            header += comment_lines(line) + ["//"]
        header = header[:-1]
        # resources first (they decide which existing declarations are needed)
        blocks = [self.resource(r) for r in self.tpl.resources]
        body: list[str] = []
        for r, block in zip(self.tpl.resources, blocks):
            body += block + self.existing_declarations(r) + [""]
        outputs = []
        for o in self.tpl.outputs:
            outputs += [f"@description({string(o.description)})",
                        f"output {bicep_symbol(o.name)} {o.type} = "
                        f"{self.expr(o.value, '')}", ""]
        lines = header + [""] + self.parameters() + body + outputs
        return "\n".join(lines).rstrip() + "\n"


def bicep_hint(p: CodePlan) -> str:
    return _arm_hint(p).replace("FILE.arm.json", "FILE.bicep") + \
        " (az bicep build --file FILE.bicep gives the ARM template)"


def bicep_text(p: CodePlan) -> str:
    return _Bicep(p, template(p)).document()
