"""Test-side readers of what the code exporters write, to check the files without Azure.

- :func:`arm_resources` evaluates the subset of ARM's template language the ARM writer uses
  (``parameters``, ``variables``, ``resourceId``, ``format``, ``copyIndex``, ``reference``,
  ``resourceGroup``) and expands ``copy`` loops;
- :func:`bicep_resources` parses the subset of Bicep the Bicep writer emits (params, vars,
  resources with ``existing`` and ``for`` loops, outputs; objects, arrays, strings with
  interpolation, member access, indexing, calls, ``+``) and evaluates it the same way.

Both give one canonical form: resources as {(type, name): body}, references as tuples
``("ref", type, name...)``, parameters as ``("param", name)``, so an ARM template and a Bicep
file can be compared value by value.
"""
from __future__ import annotations

import re
from typing import Any


# ================================================================================ ARM

_ARM_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(-?\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))")


class _ArmExpr:
    def __init__(self, text: str, env: dict):
        self.tokens = [m for m in _ARM_TOKEN.findall(text) if any(m)]
        self.i = 0
        self.env = env

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else ("", "", "", "")

    def take(self, symbol: str | None = None):
        tok = self.peek()
        if symbol is not None and tok[3] != symbol:
            raise ValueError(f"expected {symbol!r}, got {tok}")
        self.i += 1
        return tok

    def parse(self):
        value = self.primary()
        while self.peek()[3] == ".":
            self.take(".")
            prop = self.take()[2]
            value = _member(value, prop)
        return value

    def primary(self):
        string, number, name, symbol = self.take()
        if string:
            return string[1:-1].replace("''", "'")
        if number:
            return int(number)
        if name:
            args = []
            self.take("(")
            while self.peek()[3] != ")":
                args.append(self.parse())
                if self.peek()[3] == ",":
                    self.take(",")
            self.take(")")
            return _call(name, args, self.env)
        raise ValueError(f"unexpected {symbol!r}")


def _member(value, prop):
    if isinstance(value, tuple) and value[0] == "reference":
        return ("output", value[1], prop)
    if isinstance(value, tuple) and value[0] == "resourceGroup":
        return ("resourceGroup", prop)
    if isinstance(value, dict):
        return value[prop]
    raise ValueError(f"no member {prop} of {value!r}")


def _call(name: str, args: list, env: dict):
    if name == "parameters":
        return ("param", args[0])
    if name == "variables":
        return env["variables"][args[0]]
    if name == "resourceId":
        return ("ref", args[0], *args[1:])
    if name == "format":
        text = args[0]
        for i, arg in enumerate(args[1:]):
            text = text.replace("{%d}" % i, arg if isinstance(arg, str) else
                                str(arg) if isinstance(arg, int) else f"<{arg!r}>")
        if "<" in text:
            return ("format", args[0], *args[1:])
        return text
    if name == "copyIndex":
        return env["index"] + (args[0] if args else 0)
    if name == "reference":
        return ("reference", args[0])
    if name == "resourceGroup":
        return ("resourceGroup",)
    raise ValueError(f"function {name} is not in the subset")


def arm_value(value: Any, env: dict) -> Any:
    if isinstance(value, str):
        if value.startswith("[["):
            return value[1:]
        if value.startswith("[") and value.endswith("]"):
            return _ArmExpr(value[1:-1], env).parse()
        return value
    if isinstance(value, dict):
        return {k: arm_value(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [arm_value(v, env) for v in value]
    return value


def arm_resources(doc: dict) -> dict:
    """{"parameters": {name: default}, "resources": {(type, name): body}, "outputs": {...}}."""
    env: dict = {"variables": {}, "index": 0}
    for name, value in doc.get("variables", {}).items():
        env["variables"][name] = arm_value(value, env)
    resources = {}
    for r in doc["resources"]:
        count = r.get("copy", {}).get("count", 1)
        for index in range(count):
            env["index"] = index
            body = {k: arm_value(v, env) for k, v in r.items()
                    if k not in ("type", "apiVersion", "name", "comments", "copy", "dependsOn")}
            name = arm_value(r["name"], env)
            resources[(r["type"], name)] = {"apiVersion": r["apiVersion"], **body}
    params = {k: arm_value(v.get("defaultValue"), env) for k, v in doc["parameters"].items()}
    outputs = {k: arm_value(v["value"], env) for k, v in doc.get("outputs", {}).items()}
    return {"parameters": params, "resources": resources, "outputs": outputs}


# ================================================================================ Bicep

_BICEP_TOKEN = re.compile(r"""
    (?P<comment>//[^\n]*)
  | (?P<nl>\n)
  | (?P<ws>[ \t\r]+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<symbol>[{}\[\]().,:=@+-])
""", re.X)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _BICEP_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"unexpected {text[pos:pos + 20]!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup
        if kind in ("comment", "ws"):
            continue
        out.append((kind, m.group()))
    return out


class BicepReader:
    """Parses and evaluates the emitted Bicep subset."""

    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0
        self.params: dict[str, Any] = {}
        self.vars: dict[str, Any] = {}
        self.symbols: dict[str, dict] = {}     # symbol -> {type, name(s), loop, existing...}
        self.resources: dict = {}
        self.outputs: dict = {}
        self.index: int | None = None

    # ---------------------------------------------------------------- token helpers
    def peek(self, kind=None, text=None) -> bool:
        while self.i < len(self.toks) and self.toks[self.i][0] == "nl" and kind != "nl":
            self.i += 1
        if self.i >= len(self.toks):
            return False
        k, t = self.toks[self.i]
        return (kind is None or k == kind) and (text is None or t == text)

    def take(self, kind=None, text=None) -> str:
        if not self.peek(kind, text):
            got = self.toks[self.i] if self.i < len(self.toks) else "end of file"
            raise ValueError(f"expected {kind} {text!r}, got {got}")
        self.i += 1
        return self.toks[self.i - 1][1]

    # ---------------------------------------------------------------- statements
    def read(self) -> dict:
        statements = []
        while self.peek():
            decorators = []
            while self.peek("symbol", "@"):
                self.take()
                decorators.append(self.take("name"))
                self.skip_parens()
            keyword = self.take("name")
            statements.append((keyword, self.i))
            getattr(self, f"statement_{keyword}")()
        return {"parameters": self.params, "resources": self.resources, "outputs": self.outputs}

    def skip_parens(self) -> None:
        depth = 0
        while True:
            t = self.take()
            depth += t == "("
            depth -= t == ")"
            if depth == 0:
                return

    def statement_param(self) -> None:
        name = self.take("name")
        self.take("name")  # type
        default = None
        if self.peek("symbol", "="):
            self.take()
            default = self.expr()
        self.params[name] = default

    def statement_var(self) -> None:
        name = self.take("name")
        self.take("symbol", "=")
        self.vars[name] = self.expr()

    def statement_output(self) -> None:
        name = self.take("name")
        self.take("name")
        self.take("symbol", "=")
        self.outputs[name] = self.expr()

    def statement_resource(self) -> None:
        symbol = self.take("name")
        type_, _, api = self.take("string")[1:-1].partition("@")
        existing = self.peek("name", "existing")
        if existing:
            self.take()
        self.take("symbol", "=")
        if self.peek("symbol", "["):
            self.take()
            self.take("name", "for")
            self.take("name", "i")
            self.take("name", "in")
            self.take("name", "range")
            self.take("symbol", "(")
            start = int(self.take("number"))
            self.take("symbol", ",")
            count = int(self.take("number"))
            self.take("symbol", ")")
            self.take("symbol", ":")
            mark = self.i
            names = []
            for index in range(start, start + count):
                self.i, self.index = mark, index
                body = self.expr()
                names.append(body["name"])
                self.add(type_, api, body)
            self.index = None
            self.take("symbol", "]")
            self.symbols[symbol] = {"type": type_, "names": names}
            return
        body = self.expr()
        if existing:
            parent = self.symbols[body["parent"][1]]
            self.symbols[symbol] = {"type": type_, "names": [(parent["names"][0], body["name"])]}
            return
        self.symbols[symbol] = {"type": type_, "names": [body["name"]]}
        self.add(type_, api, body)

    def add(self, type_: str, api: str, body: dict) -> None:
        body = dict(body)
        name = body.pop("name")
        self.resources[(type_, name)] = {"apiVersion": api, **body}

    # ---------------------------------------------------------------- expressions
    def expr(self):
        value = self.postfix()
        while self.peek("symbol", "+"):
            self.take()
            value = value + self.postfix()
        return value

    def postfix(self):
        value = self.primary()
        while self.peek("symbol", ".") or self.peek("symbol", "["):
            if self.take() == ".":
                value = self.member(value, self.take("name"))
            else:
                index = self.expr()
                self.take("symbol", "]")
                value = ("element", value, index)
        return value

    def member(self, value, prop):
        if isinstance(value, tuple) and value[0] == "element":
            value = ("symbol", value[1][1], value[2])
        if isinstance(value, tuple) and value[0] == "symbol":
            info = self.symbols[value[1]]
            name = info["names"][value[2] if len(value) > 2 else 0]
            if prop == "id":
                if isinstance(name, tuple):
                    return ("ref", info["type"], *name)
                return ("ref", info["type"], name)
            return ("property", info["type"], name, prop)
        if isinstance(value, tuple) and value[0] == "property" and value[3] == "properties":
            return ("output", ("ref", value[1], value[2]), prop)
        if isinstance(value, tuple) and value[0] == "resourceGroup":
            return ("resourceGroup", prop)
        if isinstance(value, dict):
            return value[prop]
        raise ValueError(f"no member {prop} of {value!r}")

    def primary(self):
        if self.peek("string"):
            return self.string(self.take("string"))
        if self.peek("number"):
            return int(self.take("number"))
        if self.peek("symbol", "{"):
            return self.obj()
        if self.peek("symbol", "["):
            return self.array()
        if self.peek("symbol", "("):
            self.take()
            value = self.expr()
            self.take("symbol", ")")
            return value
        name = self.take("name")
        if name in ("true", "false"):
            return name == "true"
        if name == "null":
            return None
        if self.peek("symbol", "("):
            self.take()
            args = []
            while not self.peek("symbol", ")"):
                args.append(self.expr())
                if self.peek("symbol", ","):
                    self.take()
            self.take("symbol", ")")
            if name == "resourceId":
                return ("ref", *args)
            if name == "resourceGroup":
                return ("resourceGroup",)
            raise ValueError(f"function {name} is not in the emitted subset")
        if name == "i":
            return self.index
        if name in self.params:
            return ("param", name)
        if name in self.vars:
            return self.vars[name]
        if name in self.symbols:
            return ("symbol", name)
        raise ValueError(f"unknown identifier {name}")

    def string(self, literal: str):
        """A string literal; an interpolation of a value known only at deployment gives
        ("format", template with {0}, {1}..., args...) as ARM's format() does."""
        body = literal[1:-1]
        out, pos, args = "", 0, []
        while pos < len(body):
            if body.startswith("\\", pos):
                out += body[pos + 1]
                pos += 2
            elif body.startswith("${", pos):
                end = body.index("}", pos)
                inner = BicepReader(body[pos + 2:end])
                inner.params, inner.vars, inner.symbols = self.params, self.vars, self.symbols
                inner.index = self.index
                value = inner.expr()
                if isinstance(value, tuple):
                    out += "{%d}" % len(args)
                    args.append(value)
                else:
                    out += str(value)
                pos = end + 1
            else:
                out += body[pos]
                pos += 1
        return ("format", out, *args) if args else out

    def obj(self) -> dict:
        self.take("symbol", "{")
        out = {}
        while not self.peek("symbol", "}"):
            key = self.take()
            if key.startswith("'"):
                key = key[1:-1]
            self.take("symbol", ":")
            out[key] = self.expr()
        self.take("symbol", "}")
        return out

    def array(self) -> list:
        self.take("symbol", "[")
        out = []
        while not self.peek("symbol", "]"):
            out.append(self.expr())
        self.take("symbol", "]")
        return out


def bicep_resources(text: str) -> dict:
    return BicepReader(text).read()


# ================================================================================ back to ARM

def _arm_expr(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    kind = value[0]
    if kind == "param":
        return f"parameters('{value[1]}')"
    if kind == "ref":
        return f"resourceId({', '.join(_arm_expr(v) for v in value[1:])})"
    if kind == "format":
        return f"format({', '.join(_arm_expr(v) for v in value[1:])})"
    if kind == "resourceGroup":
        return "resourceGroup()" + (f".{value[1]}" if len(value) > 1 else "")
    if kind == "output":
        return f"reference({_arm_expr(value[1])}).{value[2]}"
    raise ValueError(f"no ARM form for {value!r}")


def _arm_json(value):
    if isinstance(value, tuple):
        return f"[{_arm_expr(value)}]"
    if isinstance(value, dict):
        return {k: _arm_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_arm_json(v) for v in value]
    return value


def bicep_to_arm(text: str) -> dict:
    """The ARM template a Bicep file of the emitted subset compiles to (what ``az bicep
    build`` gives, minus ``dependsOn``, which an importer does not need)."""
    read = bicep_resources(text)
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/"
                   "deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {name: ({"type": "object" if isinstance(default, dict) else "string"}
                              | ({"defaultValue": _arm_json(default)} if default is not None
                                 else {}))
                       for name, default in read["parameters"].items()},
        "resources": [{"type": type_, "name": name, **_arm_json(body)}
                      for (type_, name), body in read["resources"].items()],
        "outputs": {name: {"type": "string", "value": _arm_json(v)}
                    for name, v in read["outputs"].items()},
    }
