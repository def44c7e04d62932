"""Terraform's expression language, enough to read real configurations without Terraform.

python-hcl2 parses the file structure (blocks, attributes, literal lists and objects) and hands
back every expression as text (``${azurerm_subnet.web.id}``, ``"web-${count.index + 1}"``).
This module parses that text and evaluates it: literals and string templates, ``var``,
``local``, ``count.index``, ``each.key``/``each.value``, references to resources and their
attributes, operators, conditionals, ``for`` expressions, splats, and the functions real
network configurations use (``format``, ``cidrsubnet``, ``lookup``, ``merge``, ...).

What cannot be known without Azure or Terraform — a resource id, a data source, a module
output, a variable nobody gave a value — evaluates to :class:`Unknown`, which remembers the
resources it refers to (so an importer can follow the reference) and why it is unknown (so it
can warn, naming the address). Nothing unknown is ever replaced by a guess.
"""
from __future__ import annotations

import ipaddress
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable


class HclError(ValueError):
    """An expression that does not parse (a message, without the file: the caller adds it)."""


@dataclass(frozen=True)
class Unknown:
    """A value known only at apply time. ``refs``: resource instance addresses it depends on;
    ``why``: the reasons it cannot be known here (empty for a plain resource attribute)."""
    refs: frozenset = frozenset()
    why: frozenset = frozenset()

    def __or__(self, other: "Unknown") -> "Unknown":
        return Unknown(self.refs | other.refs, self.why | other.why)


def unknown_in(*values: Any) -> Unknown | None:
    """The union of the unknowns among ``values`` (searched inside lists and dicts), or None."""
    found: Unknown | None = None
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, Unknown):
            found = v if found is None else found | v
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return found


# ================================================================================ lexer

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|\[\*\]|\.\*|[-+*/%<>!?:.,\[\](){}=])
""", re.X)


@dataclass(frozen=True)
class Tok:
    kind: str      # number, name, op, string, eof
    text: str
    parts: tuple = ()  # string: template parts (str literal or ("expr", text))


def _scan_string(text: str, pos: int) -> tuple[tuple, int]:
    """A quoted template starting at ``text[pos] == '"'``: (parts, position after it)."""
    parts: list = []
    literal = []
    i = pos + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1:i + 2]
            if nxt == "u":
                literal.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            literal.append({"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}.get(nxt, nxt))
            i += 2
        elif text.startswith("$${", i) or text.startswith("%%{", i):
            literal.append(text[i + 1:i + 3])
            i += 3
        elif text.startswith("${", i) or text.startswith("%{", i):
            end = _matching_brace(text, i + 1)
            if literal:
                parts.append("".join(literal))
                literal = []
            kind = "expr" if c == "$" else "directive"
            parts.append((kind, text[i + 2:end].strip().strip("~").strip()))
            i = end + 1
        elif c == '"':
            if literal:
                parts.append("".join(literal))
            return tuple(parts), i + 1
        else:
            literal.append(c)
            i += 1
    raise HclError("a string is not closed")


def _matching_brace(text: str, open_at: int) -> int:
    depth, i = 0, open_at
    while i < len(text):
        c = text[i]
        if c == '"':
            _, i = _scan_string(text, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise HclError("a '${' is not closed")


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos] == '"':
            parts, pos = _scan_string(text, pos)
            out.append(Tok("string", "", parts))
            continue
        m = _TOKEN.match(text, pos)
        if not m:
            raise HclError(f"unexpected {text[pos:pos + 12]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append(Tok(m.lastgroup, m.group()))
    out.append(Tok("eof", ""))
    return out


# ================================================================================ parser
# The tree is made of tuples: ("lit", v), ("tpl", parts), ("name", n), ("attr", e, n),
# ("index", e, i), ("splat", e, [ops]), ("call", n, args, expand), ("tuple", items),
# ("object", [(k, v)]), ("for", kind, key_var, value_var, coll, key, value, cond, group),
# ("unary", op, e), ("binary", op, a, b), ("cond", c, a, b)

_BINARY = [("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%")]


class _Parser:
    def __init__(self, text: str):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, text: str | None = None, kind: str | None = None) -> bool:
        tok = self.toks[self.i]
        return (text is None or tok.text == text) and (kind is None or tok.kind == kind)

    def take(self, text: str | None = None) -> Tok:
        tok = self.toks[self.i]
        if text is not None and tok.text != text:
            raise HclError(f"expected {text!r}, found {tok.text or tok.kind!r}")
        self.i += 1
        return tok

    def parse(self):
        tree = self.expr()
        if not self.peek(kind="eof"):
            raise HclError(f"unexpected {self.toks[self.i].text!r}")
        return tree

    def expr(self):
        cond = self.binary(0)
        if self.peek("?"):
            self.take()
            a = self.expr()
            self.take(":")
            return ("cond", cond, a, self.expr())
        return cond

    def binary(self, level: int):
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.toks[self.i].kind == "op" and self.toks[self.i].text in _BINARY[level]:
            op = self.take().text
            left = ("binary", op, left, self.binary(level + 1))
        return left

    def unary(self):
        if self.peek("-") or self.peek("!"):
            op = self.take().text
            return ("unary", op, self.unary())
        return self.postfix(self.primary())

    def postfix(self, tree):
        while True:
            if self.peek("."):
                self.take()
                tok = self.take()
                if tok.kind == "number":
                    tree = ("index", tree, ("lit", int(tok.text)))
                else:
                    tree = ("attr", tree, tok.text)
            elif self.peek("["):
                self.take()
                index = self.expr()
                self.take("]")
                tree = ("index", tree, index)
            elif self.peek("[*]") or self.peek(".*"):
                self.take()
                ops = []
                while self.peek(".") or self.peek("["):
                    if self.peek("."):
                        self.take()
                        ops.append(("attr", self.take().text))
                    else:
                        self.take()
                        ops.append(("index", self.expr()))
                        self.take("]")
                tree = ("splat", tree, ops)
            else:
                return tree

    def primary(self):
        tok = self.take()
        if tok.kind == "number":
            value = float(tok.text)
            return ("lit", int(value) if value.is_integer() and "." not in tok.text
                    and "e" not in tok.text.lower() else value)
        if tok.kind == "string":
            return ("tpl", tuple(p if isinstance(p, str) else
                                 (p[0], _Parser(p[1]).parse() if p[0] == "expr" else p[1])
                                 for p in tok.parts))
        if tok.kind == "name":
            if tok.text in ("true", "false"):
                return ("lit", tok.text == "true")
            if tok.text == "null":
                return ("lit", None)
            if self.peek("("):
                self.take()
                args, expand = [], False
                while not self.peek(")"):
                    args.append(self.expr())
                    if self.peek("..."):
                        self.take()
                        expand = True
                    if self.peek(","):
                        self.take()
                self.take(")")
                return ("call", tok.text, args, expand)
            return ("name", tok.text)
        if tok.text == "(":
            tree = self.expr()
            self.take(")")
            return tree
        if tok.text == "[":
            if self.peek("for", "name"):
                return self.for_expr("tuple", "]")
            items = []
            while not self.peek("]"):
                items.append(self.expr())
                if self.peek(","):
                    self.take()
            self.take("]")
            return ("tuple", items)
        if tok.text == "{":
            if self.peek("for", "name"):
                return self.for_expr("object", "}")
            items = []
            while not self.peek("}"):
                key = self.expr()
                if key[0] == "name":
                    key = ("lit", key[1])
                if not (self.peek("=") or self.peek(":")):
                    raise HclError("expected '=' in an object")
                self.take()
                items.append((key, self.expr()))
                if self.peek(","):
                    self.take()
            self.take("}")
            return ("object", items)
        raise HclError(f"unexpected {tok.text or tok.kind!r}")

    def for_expr(self, kind: str, close: str):
        self.take("for")
        first = self.take().text
        second = None
        if self.peek(","):
            self.take()
            second = self.take().text
        self.take("in")
        collection = self.expr()
        self.take(":")
        key = None
        if kind == "object":
            key = self.expr()
            self.take("=>")
        value = self.expr()
        group = False
        if self.peek("..."):
            self.take()
            group = True
        cond = None
        if self.peek("if"):
            self.take()
            cond = self.expr()
        self.take(close)
        key_var, value_var = (first, second) if second else (None, first)
        return ("for", kind, key_var, value_var, collection, key, value, cond, group)


_CACHE: dict[str, Any] = {}


def parse(text: str):
    """The tree of an expression (cached: the same text appears on many instances)."""
    tree = _CACHE.get(text)
    if tree is None:
        tree = _CACHE[text] = _Parser(text).parse()
    return tree


def parse_value(raw: Any):
    """The tree of one attribute value as python-hcl2 gives it: ``${expr}`` strings, quoted
    template strings, and plain numbers, booleans, None, lists and dicts."""
    if isinstance(raw, str):
        if raw.startswith("${") and raw.endswith("}") and _matching_brace(raw, 1) == len(raw) - 1:
            return parse(raw[2:-1])
        if raw.startswith('"<<') and raw.endswith('"'):      # heredoc, kept as text
            body = raw[1:-1].split("\n")[1:-1]
            if raw.startswith('"<<-'):
                strip = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
                body = [l[strip:] for l in body]
            text = "\n".join(body) + "\n"
            return parse('"' + text.replace("\\", "\\\\").replace('"', '\\"')
                         .replace("\n", "\\n") + '"')
        if raw.startswith('"'):
            return parse(raw)
        return parse(raw)
    if isinstance(raw, list):
        return ("tuple", [parse_value(v) for v in raw])
    if isinstance(raw, dict):
        return ("object", [(("lit", k.strip('"')), parse_value(v)) for k, v in raw.items()
                           if not k.startswith("__")])
    return ("lit", raw)


# ================================================================================ evaluation

class Scope:
    """What names mean where an expression is evaluated. Subclasses answer ``root`` (a name
    that is not bound locally: var, local, count, each, a resource type, ...)."""

    def root(self, name: str, tree) -> Any:
        raise HclError(f"unknown name {name}")

    def traverse(self, value: Any, attribute: str) -> Any:
        """``value.attribute`` for values that are not plain dicts (resource instances...)."""
        raise HclError(f"no attribute {attribute}")


@dataclass
class Evaluator:
    scope: Scope
    #: the functions met that the importer does not know
    unsupported: set = field(default_factory=set)

    def eval(self, tree, local: dict | None = None) -> Any:
        return self._eval(tree, local or {})

    def _eval(self, t, env: dict) -> Any:
        kind = t[0]
        if kind == "lit":
            return t[1]
        if kind == "tpl":
            out, unknown = [], None
            for part in t[1]:
                if isinstance(part, str):
                    out.append(part)
                elif part[0] == "directive":
                    unknown = (unknown or Unknown()) | Unknown(why=frozenset({
                        "a %{...} template directive is not evaluated"}))
                else:
                    value = self._eval(part[1], env)
                    u = unknown_in(value)
                    if u is not None:
                        unknown = u if unknown is None else unknown | u
                    else:
                        out.append(_to_string(value))
            return unknown if unknown is not None else "".join(out)
        if kind == "name":
            if t[1] in env:
                return env[t[1]]
            return self.scope.root(t[1], t)
        if kind == "attr":
            return self.attribute(self._eval(t[1], env), t[2])
        if kind == "index":
            return self.index(self._eval(t[1], env), self._eval(t[2], env))
        if kind == "splat":
            base = self._eval(t[1], env)
            if isinstance(base, Unknown):
                return base
            items = list(base.values()) if isinstance(base, dict) else \
                base if isinstance(base, list) else [] if base is None else [base]
            out = []
            for item in items:
                for op, arg in t[2]:
                    item = self.attribute(item, arg) if op == "attr" else \
                        self.index(item, self._eval(arg, env))
                out.append(item)
            return out
        if kind == "tuple":
            return [self._eval(x, env) for x in t[1]]
        if kind == "object":
            out = {}
            for k, v in t[1]:
                key = self._eval(k, env)
                if isinstance(key, Unknown):
                    return key
                out[_to_string(key)] = self._eval(v, env)
            return out
        if kind == "unary":
            value = self._eval(t[2], env)
            if isinstance(value, Unknown):
                return value
            return -_number(value) if t[1] == "-" else not _bool(value)
        if kind == "binary":
            return self.binary(t[1], self._eval(t[2], env), self._eval(t[3], env))
        if kind == "cond":
            cond = self._eval(t[1], env)
            if isinstance(cond, Unknown):
                return cond
            return self._eval(t[2] if _bool(cond) else t[3], env)
        if kind == "call":
            args = [self._eval(a, env) for a in t[2]]
            if t[3] and args:
                last = args.pop()
                if isinstance(last, Unknown):
                    return last
                args.extend(last)
            return self.call(t[1], args)
        if kind == "for":
            return self.for_expr(t, env)
        raise HclError(f"cannot evaluate {kind}")

    # ---------------------------------------------------------------- pieces
    def attribute(self, value: Any, name: str) -> Any:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, dict):
            if name not in value:
                raise HclError(f"no attribute {name!r}")
            return value[name]
        return self.scope.traverse(value, name)

    def index(self, value: Any, key: Any) -> Any:
        if isinstance(value, Unknown):
            return value
        if isinstance(key, Unknown):
            return key
        if isinstance(value, list):
            return value[int(_number(key))]
        if isinstance(value, dict):
            return value[_to_string(key)]
        return self.scope.traverse(value, ("index", key))

    def binary(self, op: str, a: Any, b: Any) -> Any:
        u = unknown_in(a, b)
        if u is not None and op not in ("&&", "||"):
            return u
        if op == "&&":
            if isinstance(a, Unknown):
                return a
            return _bool(a) and (b if isinstance(b, Unknown) else _bool(b))
        if op == "||":
            if isinstance(a, Unknown):
                return a
            return _bool(a) or (b if isinstance(b, Unknown) else _bool(b))
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        x, y = _number(a), _number(b)
        result = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y,
                  "/": lambda: x / y, "%": lambda: math.fmod(x, y), "<": lambda: x < y,
                  ">": lambda: x > y, "<=": lambda: x <= y, ">=": lambda: x >= y}[op]()
        if isinstance(result, float) and result.is_integer() and op in "+-*%/":
            return int(result)
        return result

    def for_expr(self, t, env: dict) -> Any:
        _, kind, key_var, value_var, coll_tree, key_tree, value_tree, cond, group = t
        coll = self._eval(coll_tree, env)
        if isinstance(coll, Unknown):
            return coll
        pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll))
        out_list, out_map = [], {}
        for k, v in pairs:
            inner = dict(env)
            inner[value_var] = v
            if key_var:
                inner[key_var] = k
            if cond is not None:
                keep = self._eval(cond, inner)
                if isinstance(keep, Unknown):
                    return keep
                if not _bool(keep):
                    continue
            value = self._eval(value_tree, inner)
            if kind == "tuple":
                out_list.append(value)
            else:
                key = self._eval(key_tree, inner)
                if isinstance(key, Unknown):
                    return key
                key = _to_string(key)
                if group:
                    out_map.setdefault(key, []).append(value)
                else:
                    out_map[key] = value
        return out_list if kind == "tuple" else out_map

    def call(self, name: str, args: list) -> Any:
        fn = FUNCTIONS.get(name)
        if fn is None:
            self.unsupported.add(name)
            return Unknown(why=frozenset({f"function {name}() is not supported by the importer"}))
        if name in STRUCTURAL:
            # they move values around without looking at them: element(nic[*].id, count.index)
            # is the one NIC's unknown id, not all of them at once
            top = [a for a in args if isinstance(a, Unknown)]
            u = unknown_in(*top) if top else None
        else:
            u = unknown_in(*args)
        if u is not None and name not in ("try", "can"):
            return u
        try:
            return fn(*args)
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as exc:
            raise HclError(f"{name}(): {exc}") from None


# ================================================================================ values

def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    if isinstance(value, (int, float, str)):
        return str(value)
    raise HclError(f"cannot use {type(value).__name__} as a string")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise HclError("a boolean is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            raise HclError(f"{value!r} is not a number") from None
    raise HclError(f"cannot use {type(value).__name__} as a number")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise HclError(f"cannot use {value!r} as a boolean")


def _format(spec: str, *args) -> str:
    values = list(args)

    def repl(m: re.Match) -> str:
        verb = m.group(2)
        if verb == "%":
            return "%"
        value = values.pop(0)
        if verb == "d":
            return ("%" + m.group(1) + "d") % int(_number(value))
        if verb in ("f", "g", "e"):
            return ("%" + m.group(1) + verb) % _number(value)
        if verb == "q":
            return json.dumps(_to_string(value))
        if verb == "v" and not isinstance(value, str):
            return json.dumps(value)
        return ("%" + m.group(1) + "s") % _to_string(value)
    return re.sub(r"%([-+ #0]?\d*(?:\.\d+)?)([a-z%])", repl, spec)


def _cidrsubnet(prefix: str, newbits, netnum) -> str:
    net = ipaddress.ip_network(prefix, strict=False)
    new = net.prefixlen + int(newbits)
    size = 2 ** (net.max_prefixlen - new)
    return str(ipaddress.ip_network((int(net.network_address) + int(netnum) * size, new)))


def _cidrhost(prefix: str, hostnum) -> str:
    net = ipaddress.ip_network(prefix, strict=False)
    n = int(hostnum)
    return str(net.network_address + n if n >= 0 else net.broadcast_address + 1 + n)


def _cidrsubnets(prefix: str, *newbits) -> list[str]:
    net = ipaddress.ip_network(prefix, strict=False)
    out, start = [], int(net.network_address)
    for bits in newbits:
        length = net.prefixlen + int(bits)
        size = 2 ** (net.max_prefixlen - length)
        start = -(-start // size) * size
        out.append(str(ipaddress.ip_network((start, length))))
        start += size
    return out


def _try(*values):
    for value in values:
        if unknown_in(value) is None:
            return value
    return values[-1] if values else None


def _lookup(mapping, key, *default):
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise KeyError(f"no key {key!r}")


def _flatten(items):
    out = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


#: functions that pick, count or regroup items without reading them: an item known only at
#: apply time stays that item (the others are not mixed into it)
STRUCTURAL = frozenset({"element", "lookup", "slice", "concat", "flatten", "length", "reverse",
                        "values", "merge", "zipmap", "tolist", "tomap", "one",
                        "chunklist"})

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "lower": lambda s: _to_string(s).lower(), "upper": lambda s: _to_string(s).upper(),
    "title": lambda s: _to_string(s).title(), "trimspace": lambda s: _to_string(s).strip(),
    "trim": lambda s, c: _to_string(s).strip(c), "trimprefix": lambda s, p: s.removeprefix(p),
    "trimsuffix": lambda s, p: s.removesuffix(p),
    "format": _format, "formatlist": lambda spec, *lists: [
        _format(spec, *row) for row in zip(*[l if isinstance(l, list) else [l] * max(
            (len(x) for x in lists if isinstance(x, list)), default=1) for l in lists])],
    "join": lambda sep, items: sep.join(_to_string(i) for i in items),
    "split": lambda sep, s: s.split(sep), "replace": lambda s, a, b: s.replace(a, b),
    "substr": lambda s, o, n: s[int(o):] if int(n) < 0 else s[int(o):int(o) + int(n)],
    "tostring": _to_string, "tonumber": _number, "tobool": _bool,
    "tolist": list, "toset": lambda items: sorted(set(items), key=str) if isinstance(
        items, list) else list(items), "tomap": dict,
    "length": lambda v: len(v), "element": lambda items, i: items[int(_number(i)) % len(items)],
    "index": lambda items, v: items.index(v), "contains": lambda items, v: v in items,
    "concat": lambda *lists: [x for l in lists for x in l], "flatten": _flatten,
    "distinct": lambda items: list(dict.fromkeys(items)), "reverse": lambda items: items[::-1],
    "sort": lambda items: sorted(items, key=str), "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)], "merge": lambda *maps: {
        k: v for m in maps if m for k, v in m.items()},
    "lookup": _lookup, "zipmap": lambda ks, vs: dict(zip(ks, vs)),
    "range": lambda *a: list(range(*(int(_number(x)) for x in a))),
    "slice": lambda items, a, b: items[int(a):int(b)],
    "coalesce": lambda *vals: next(v for v in vals if v not in (None, "")),
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "min": lambda *n: min(_number(x) for x in n), "max": lambda *n: max(_number(x) for x in n),
    "abs": lambda n: abs(_number(n)), "ceil": lambda n: math.ceil(_number(n)),
    "floor": lambda n: math.floor(_number(n)), "pow": lambda a, b: _number(a) ** _number(b),
    "signum": lambda n: (_number(n) > 0) - (_number(n) < 0),
    "cidrsubnet": _cidrsubnet, "cidrhost": _cidrhost, "cidrsubnets": _cidrsubnets,
    "cidrnetmask": lambda p: str(ipaddress.ip_network(p, strict=False).netmask),
    "jsonencode": lambda v: json.dumps(v, separators=(",", ":")), "jsondecode": json.loads,
    "try": _try, "can": lambda v: unknown_in(v) is None,
    "one": lambda items: items[0] if items else None,
    "startswith": lambda s, p: s.startswith(p), "endswith": lambda s, p: s.endswith(p),
    "strcontains": lambda s, p: p in s, "regex": lambda p, s: re.search(p, s).group(),
    "sum": lambda items: sum(_number(i) for i in items),
    "setunion": lambda *sets: sorted(set().union(*sets), key=str),
    "chunklist": lambda items, n: [items[i:i + int(n)] for i in range(0, len(items), int(n))],
    "alltrue": lambda items: all(_bool(i) for i in items),
    "anytrue": lambda items: any(_bool(i) for i in items),
}
