"""The ARM template expression language: ``"[concat(parameters('prefix'), '-vm')]"``.

A string value of a template that starts with ``[`` and ends with ``]`` is an expression
(``[[`` escapes a literal bracket). This module parses expressions (function calls, string
and number literals, property access ``.name`` and index ``[i]``) into small tuples, caches
them by text, and evaluates them against a :class:`Context` that knows the template's
parameters, variables, copy loops and deployment scope.

Names of functions, parameters, variables and properties are case-insensitive, as in ARM.

``reference()`` and ``list*()`` cannot be known before a deployment: they evaluate to a
:class:`Deferred` value that remembers where it came from and spreads through any function
that receives it. Nothing complains while a deferred value sits where the importer never
looks (outputs, boot diagnostics); the mapper reports it when it reads one where it matters.
An unsupported function is an :class:`ImportFailure` naming it and the JSON path.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from typing import Any, Callable

from .errors import ImportFailure


class Deferred:
    """A value known only at deployment (the result of ``reference()``, ``list*()``)."""

    __slots__ = ("origin",)

    def __init__(self, origin: str):
        self.origin = origin

    def __repr__(self) -> str:
        return f"<deferred: {self.origin}>"


# ============================================================================ parsing

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>-?\d+(?:\.\d+)?)
    | (?P<string>'(?:[^']|'')*')
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[()\[\].,])
    )""", re.VERBOSE)

_PARSED: dict[str, tuple] = {}


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            rest = text[pos:].strip()
            if not rest:
                break
            raise ImportFailure(f"cannot read the expression at {rest[:20]!r}")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "number":
            value = float(value) if "." in value else int(value)
        elif kind == "string":
            value = value[1:-1].replace("''", "'")
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]):
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, punct: str | None = None) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise ImportFailure("the expression ends too early")
        if punct is not None and token != ("punct", punct):
            raise ImportFailure(f"expected {punct!r} in the expression, found {token[1]!r}")
        self.pos += 1
        return token

    def expression(self) -> tuple:
        kind, value = self.take()
        if kind in ("number", "string"):
            node: tuple = ("lit", value)
        elif kind == "name":
            if self.peek() == ("punct", "("):
                self.take("(")
                args = []
                if self.peek() != ("punct", ")"):
                    args.append(self.expression())
                    while self.peek() == ("punct", ","):
                        self.take(",")
                        args.append(self.expression())
                self.take(")")
                node = ("call", value.lower(), tuple(args), value)
            elif value.lower() in ("true", "false", "null"):
                node = ("lit", {"true": True, "false": False, "null": None}[value.lower()])
            else:
                raise ImportFailure(f"{value!r} is neither a function call nor a literal")
        else:
            raise ImportFailure(f"unexpected {value!r} in the expression")
        while True:
            token = self.peek()
            if token == ("punct", "."):
                self.take(".")
                kind, name = self.take()
                if kind != "name":
                    raise ImportFailure(f"expected a property name after '.', found {name!r}")
                node = ("prop", node, name)
            elif token == ("punct", "["):
                self.take("[")
                index = self.expression()
                self.take("]")
                node = ("index", node, index)
            else:
                return node


def parse(text: str) -> tuple:
    """The syntax tree of an expression (the text between the outer brackets)."""
    tree = _PARSED.get(text)
    if tree is None:
        parser = _Parser(_tokens(text))
        tree = parser.expression()
        if parser.peek() is not None:
            raise ImportFailure(f"unexpected {parser.peek()[1]!r} after the end of the expression")
        _PARSED[text] = tree
    return tree


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 2 and value[0] == "[" and \
        value[-1] == "]" and not value.startswith("[[")


# ============================================================================ values

def get_property(value: Any, name: str) -> Any:
    """``value.name`` with ARM's case-insensitive property names; KeyError when absent."""
    if isinstance(value, Deferred):
        return value
    if not isinstance(value, dict):
        raise ImportFailure(f"cannot read property {name!r} of {_describe(value)}")
    if name in value:
        return value[name]
    lowered = name.lower()
    for key, item in value.items():
        if key.lower() == lowered:
            return item
    raise ImportFailure(f"the object has no property {name!r} (it has "
                        f"{', '.join(list(value)[:8]) or 'none'})")


def lookup(mapping: dict, name: str) -> Any:
    """A case-insensitive dict lookup that returns None when absent."""
    if not isinstance(mapping, dict):
        return None
    if name in mapping:
        return mapping[name]
    lowered = name.lower()
    for key, item in mapping.items():
        if isinstance(key, str) and key.lower() == lowered:
            return item
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:30]!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def to_string(value: Any) -> str:
    """ARM's ``string()``: booleans as True/False, objects and arrays as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return json.dumps(value, separators=(",", ":"))


# ============================================================================ the context

class Context:
    """What an expression can see. The template evaluator subclasses it (parameters,
    variables) and makes a child per copy iteration."""

    def __init__(self, subscription_id: str, resource_group: str, location: str,
                 deployment_name: str = "import"):
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.location = location
        self.deployment_name = deployment_name
        #: copy loops in force: loop name (lower case) -> index; "" is the resource loop
        self.loops: dict[str, int] = {}
        #: lambda parameters in force (lower case) -> value, for lambdaVariables()
        self.lambdas: dict[str, Any] = {}

    # the template evaluator provides these
    def parameter(self, name: str, path: str) -> Any:
        raise ImportFailure(f"{path}: parameters('{name}') outside a template")

    def variable(self, name: str, path: str) -> Any:
        raise ImportFailure(f"{path}: variables('{name}') outside a template")

    def reference_value(self, target: str, path: str) -> Any:
        """What ``reference(target)`` gives when it can be known before deployment (the
        template evaluator answers for its inline nested deployments); None otherwise."""
        return None

    def with_loop(self, name: str, index: int) -> "Context":
        child = object.__new__(type(self))
        child.__dict__.update(self.__dict__)
        child.loops = dict(self.loops)
        child.loops[name.lower()] = index
        return child

    def with_lambda(self, bindings: dict[str, Any]) -> "Context":
        child = object.__new__(type(self))
        child.__dict__.update(self.__dict__)
        child.lambdas = {**self.lambdas, **bindings}
        return child

    def copy_index(self, name: str | None, offset: int, path: str) -> int:
        if name is None:
            if "" in self.loops:
                return self.loops[""] + offset
            if self.loops:
                return list(self.loops.values())[-1] + offset
            raise ImportFailure(f"{path}: copyIndex() outside a copy loop")
        key = name.lower()
        if key in self.loops:
            return self.loops[key] + offset
        raise ImportFailure(f"{path}: copyIndex('{name}') outside the copy loop {name!r}")

    @property
    def resource_group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"


def resource_id(subscription: str, group: str | None, rtype: str, names: list[str]) -> str:
    """``/subscriptions/S/resourceGroups/G/providers/NS/type/name/child/name`` (ARM's form)."""
    segments = rtype.split("/")
    if len(segments) < 2 or len(names) != len(segments) - 1:
        raise ImportFailure(f"resource type {rtype!r} needs {max(len(segments) - 1, 1)} "
                            f"name(s), got {len(names)}")
    path = segments[0]
    for seg, name in zip(segments[1:], names):
        path += f"/{seg}/{name}"
    scope = f"/subscriptions/{subscription}"
    if group is not None:
        scope += f"/resourceGroups/{group}"
    return f"{scope}/providers/{path}"


# ============================================================================ evaluation

def evaluate(text: str, ctx: Context, path: str) -> Any:
    """Evaluate one expression string (with its brackets) at JSON path ``path``."""
    try:
        tree = parse(text[1:-1])
    except ImportFailure as exc:
        raise ImportFailure(f"{path}: {exc}") from None
    except RecursionError:
        raise ImportFailure(f"{path}: the expression is nested too deeply") from None
    return _eval(tree, ctx, path)


def _eval(node: tuple, ctx: Context, path: str) -> Any:
    op = node[0]
    if op == "lit":
        return node[1]
    if op == "prop":
        target = _eval(node[1], ctx, path)
        try:
            return get_property(target, node[2])
        except ImportFailure as exc:
            raise ImportFailure(f"{path}: {exc}") from None
    if op == "index":
        if node[1][0] == "call" and node[1][1] == "range" and len(node[1][2]) == 2:
            # range(a, n)[i], Bicep's loop over a range: the item without the whole list
            # (a list per copy made a 2,000-VM loop quadratic)
            start, count = (_eval(a, ctx, path) for a in node[1][2])
            index = _eval(node[2], ctx, path)
            if all(isinstance(x, int) and not isinstance(x, bool) for x in (start, count, index)):
                if not 0 <= index < count:
                    raise ImportFailure(f"{path}: index {index} is outside the array of "
                                        f"{max(count, 0)} item(s)")
                return start + index
        target = _eval(node[1], ctx, path)
        index = _eval(node[2], ctx, path)
        if isinstance(target, Deferred):
            return target
        if isinstance(index, Deferred):
            return index
        if isinstance(target, list) and isinstance(index, int) and not isinstance(index, bool):
            if not 0 <= index < len(target):
                raise ImportFailure(f"{path}: index {index} is outside the array of "
                                    f"{len(target)} item(s)")
            return target[index]
        if isinstance(target, dict) and isinstance(index, str):
            try:
                return get_property(target, index)
            except ImportFailure as exc:
                raise ImportFailure(f"{path}: {exc}") from None
        raise ImportFailure(f"{path}: cannot index {_describe(target)} with {_describe(index)}")
    # a function call
    name, args, spelled = node[1], node[2], node[3]
    lazy = _LAZY.get(name)
    if lazy is not None:
        return lazy(ctx, args, path)
    function = FUNCTIONS.get(name)
    if function is None:
        if name.startswith("list"):
            return Deferred(f"{spelled}() at {path}")
        raise ImportFailure(f"{path}: unsupported template function '{spelled}'")
    values = [_eval(a, ctx, path) for a in args]
    for value in values:
        if isinstance(value, Deferred) and name not in _TAKES_DEFERRED:
            return value
    try:
        return function(ctx, values, path)
    except ImportFailure as exc:
        message = str(exc)
        raise ImportFailure(message if message.startswith(path) else
                            f"{path}: {spelled}(): {message}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError,
            OverflowError) as exc:
        raise ImportFailure(f"{path}: {spelled}() cannot take these arguments "
                            f"({', '.join(_describe(v) for v in values) or 'none'}): "
                            f"{exc}") from None


def _need(values: list, low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(values) <= high:
        expected = f"{low}" if low == high else f"{low} to {high}" if high < 99 else f"{low}+"
        raise ImportFailure(f"expected {expected} argument(s), got {len(values)}")


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ImportFailure(f"expected an integer, got {_describe(value)}")
    return int(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ImportFailure(f"expected a string, got {_describe(value)}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ImportFailure(f"expected true or false, got {_describe(value)}")
    return value


def _equals(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # ARM compares strings case-insensitively
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


# ---------------------------------------------------------------- lazy functions

def _if(ctx: Context, args: tuple, path: str) -> Any:
    if len(args) != 3:
        raise ImportFailure(f"{path}: if() expects 3 arguments, got {len(args)}")
    condition = _eval(args[0], ctx, path)
    if isinstance(condition, Deferred):
        return condition
    if not isinstance(condition, bool):
        raise ImportFailure(f"{path}: if() expects a boolean condition, got "
                            f"{_describe(condition)}")
    return _eval(args[1] if condition else args[2], ctx, path)


def _and_or(is_and: bool):
    def run(ctx: Context, args: tuple, path: str) -> Any:
        if len(args) < 2:
            raise ImportFailure(f"{path}: {'and' if is_and else 'or'}() expects at least 2 "
                                f"arguments, got {len(args)}")
        deferred = None
        for arg in args:
            value = _eval(arg, ctx, path)
            if isinstance(value, Deferred):
                deferred = deferred or value
                continue
            if not isinstance(value, bool):
                raise ImportFailure(f"{path}: {'and' if is_and else 'or'}() expects booleans, "
                                    f"got {_describe(value)}")
            if value is not is_and:
                return value
        return deferred if deferred is not None else is_and
    return run


def _coalesce(ctx: Context, args: tuple, path: str) -> Any:
    for arg in args:
        value = _eval(arg, ctx, path)
        if value is not None:
            return value
    return None


def _copy_index(ctx: Context, args: tuple, path: str) -> int:
    values = [_eval(a, ctx, path) for a in args]
    if len(values) > 2:
        raise ImportFailure(f"{path}: copyIndex() expects at most 2 arguments")
    name, offset = None, 0
    for value in values:
        if isinstance(value, str):
            name = value
        elif isinstance(value, int) and not isinstance(value, bool):
            offset = value
        else:
            raise ImportFailure(f"{path}: copyIndex() expects a loop name and/or an offset, "
                                f"got {_describe(value)}")
    return ctx.copy_index(name, offset, path)


def _parameters(ctx: Context, args: tuple, path: str) -> Any:
    if len(args) != 1:
        raise ImportFailure(f"{path}: parameters() expects 1 argument")
    name = _eval(args[0], ctx, path)
    if not isinstance(name, str):
        raise ImportFailure(f"{path}: parameters() expects a name, got {_describe(name)}")
    return ctx.parameter(name, path)


def _variables(ctx: Context, args: tuple, path: str) -> Any:
    if len(args) != 1:
        raise ImportFailure(f"{path}: variables() expects 1 argument")
    name = _eval(args[0], ctx, path)
    if not isinstance(name, str):
        raise ImportFailure(f"{path}: variables() expects a name, got {_describe(name)}")
    return ctx.variable(name, path)


def _reference(ctx: Context, args: tuple, path: str) -> Any:
    """A nested deployment's result (its ``outputs``) when the template holds it inline —
    how Bicep passes one module's outputs to another; anything else is known only at
    deployment."""
    if args:
        try:
            target = _eval(args[0], ctx, path)
        except ImportFailure:
            target = None
        if isinstance(target, str):
            found = ctx.reference_value(target, path)
            if found is not None:
                return found
    return Deferred(f"reference() at {path}")


_LAZY: dict[str, Callable[[Context, tuple, str], Any]] = {
    "if": _if, "and": _and_or(True), "or": _and_or(False), "coalesce": _coalesce,
    "copyindex": _copy_index, "parameters": _parameters, "variables": _variables,
    "reference": _reference,
}

#: functions that look at a deferred argument themselves instead of returning it
_TAKES_DEFERRED: frozenset[str] = frozenset()


# ---------------------------------------------------------------- eager functions

def _concat(ctx, v, path):
    if not v:
        return ""
    if all(isinstance(x, list) for x in v):
        return [item for x in v for item in x]
    if any(isinstance(x, (list, dict)) for x in v):
        raise ImportFailure("expects all strings or all arrays")
    return "".join(to_string(x) for x in v)


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?::([^}]*))?\}")


def _format(ctx, v, path):
    _need(v, 1, 99)
    template, values = _str(v[0]), v[1:]

    def one(match: re.Match) -> str:
        if match.group(0) == "{{":
            return "{"
        if match.group(0) == "}}":
            return "}"
        index = int(match.group(1))
        if index >= len(values):
            raise ImportFailure(f"format item {{{index}}} has no argument")
        value, spec = values[index], match.group(2)
        if spec and isinstance(value, int) and not isinstance(value, bool):
            letter, digits = spec[:1].upper(), spec[1:]
            if letter == "D":
                return str(value).zfill(int(digits or 0))
            if letter == "N":
                return f"{value:,.{int(digits or 2)}f}"
        return to_string(value)
    return _FORMAT_ITEM.sub(one, template)


def _resource_id_args(ctx: Context, v: list, *, group: bool = True) -> str:
    strings = [_str(x) for x in v]
    type_at = next((i for i, s in enumerate(strings) if "/" in s and "." in s.split("/")[0]),
                   None)
    if type_at is None:
        raise ImportFailure("no resource type (Namespace/type) among the arguments")
    before, rtype, names = strings[:type_at], strings[type_at], strings[type_at + 1:]
    subscription, rg = ctx.subscription_id, ctx.resource_group if group else None
    if len(before) == 1:
        if group:
            rg = before[0]
        else:
            subscription = before[0]
    elif len(before) == 2 and group:
        subscription, rg = before
    elif before:
        raise ImportFailure(f"too many arguments before the resource type {rtype!r}")
    return resource_id(subscription, rg, rtype, names)


def _unique_string(ctx, v, path):
    _need(v, 1, 99)
    digest = hashlib.sha256("|".join(to_string(x) for x in v).encode()).digest()
    return base64.b32encode(digest).decode().lower()[:13]


def _guid(ctx, v, path):
    _need(v, 1, 99)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(to_string(x) for x in v)))


def _length(ctx, v, path):
    _need(v, 1)
    if isinstance(v[0], (str, list, dict)):
        return len(v[0])
    raise ImportFailure(f"expects a string, array or object, got {_describe(v[0])}")


def _empty(ctx, v, path):
    _need(v, 1)
    return v[0] is None or (isinstance(v[0], (str, list, dict)) and len(v[0]) == 0)


def _int_fn(ctx, v, path):
    _need(v, 1)
    value = v[0]
    if isinstance(value, str):
        return int(value.strip())
    return _int(value)


def _range(ctx, v, path):
    _need(v, 2)
    start, count = _int(v[0]), _int(v[1])
    if count < 0 or count > 100_000:
        raise ImportFailure(f"count {count} is outside 0..100000")
    return list(range(start, start + count))


def _contains(ctx, v, path):
    _need(v, 2)
    container, item = v
    if isinstance(container, str):
        return to_string(item) in container
    if isinstance(container, list):
        return any(_equals(x, item) for x in container)
    if isinstance(container, dict):
        return lookup(container, _str(item)) is not None or _str(item) in container
    raise ImportFailure(f"expects a string, array or object, got {_describe(container)}")


def _union(ctx, v, path):
    _need(v, 1, 99)
    if all(isinstance(x, dict) for x in v):
        out: dict = {}
        for x in v:
            out.update(x)
        return out
    if all(isinstance(x, list) for x in v):
        out_list: list = []
        for x in v:
            for item in x:
                if item not in out_list:
                    out_list.append(item)
        return out_list
    raise ImportFailure("expects all objects or all arrays")


def _intersection(ctx, v, path):
    _need(v, 1, 99)
    if all(isinstance(x, list) for x in v):
        return [item for item in v[0] if all(item in x for x in v[1:])]
    if all(isinstance(x, dict) for x in v):
        return {k: val for k, val in v[0].items() if all(x.get(k) == val for x in v[1:])}
    raise ImportFailure("expects all objects or all arrays")


def _substring(ctx, v, path):
    _need(v, 2, 3)
    text, start = _str(v[0]), _int(v[1])
    length = _int(v[2]) if len(v) == 3 else len(text) - start
    if start < 0 or length < 0 or start + length > len(text):
        raise ImportFailure(f"start {start} and length {length} do not fit a string of "
                            f"{len(text)} character(s)")
    return text[start:start + length]


def _split(ctx, v, path):
    _need(v, 2)
    text = _str(v[0])
    delimiters = v[1] if isinstance(v[1], list) else [v[1]]
    parts = [text]
    for delimiter in delimiters:
        delimiter = _str(delimiter)
        if not delimiter:
            raise ImportFailure("the delimiter is empty")
        parts = [piece for part in parts for piece in part.split(delimiter)]
    return parts


def _take_skip(take: bool):
    def run(ctx, v, path):
        _need(v, 2)
        count = max(0, _int(v[1]))
        if not isinstance(v[0], (str, list)):
            raise ImportFailure(f"expects a string or array, got {_describe(v[0])}")
        return v[0][:count] if take else v[0][count:]
    return run


def _first_last(first: bool):
    def run(ctx, v, path):
        _need(v, 1)
        if not isinstance(v[0], (str, list)):
            raise ImportFailure(f"expects a string or array, got {_describe(v[0])}")
        if not v[0]:
            return "" if isinstance(v[0], str) else None
        return v[0][0] if first else v[0][-1]
    return run


def _min_max(pick):
    def run(ctx, v, path):
        _need(v, 1, 99)
        items = v[0] if len(v) == 1 and isinstance(v[0], list) else v
        if not items:
            raise ImportFailure("needs at least one number")
        return pick(_int(x) for x in items)
    return run


def _compare(op):
    def run(ctx, v, path):
        _need(v, 2)
        a, b = v
        if isinstance(a, str) and isinstance(b, str):
            return op(a, b)
        return op(_int(a) if not isinstance(a, float) else a, _int(b) if not isinstance(b, float) else b)
    return run


def _arith(op):
    def run(ctx, v, path):
        _need(v, 2)
        return op(_int(v[0]), _int(v[1]))
    return run


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ImportFailure("division by zero")
    return int(a / b)


def _mod(a: int, b: int) -> int:
    if b == 0:
        raise ImportFailure("division by zero")
    return a - b * int(a / b)


def _bool_fn(ctx, v, path):
    _need(v, 1)
    value = v[0]
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, (int, bool)):
        return bool(value)
    raise ImportFailure(f"expects a boolean, 'true'/'false' or a number, got {_describe(value)}")


def _json_fn(ctx, v, path):
    _need(v, 1)
    try:
        return json.loads(_str(v[0]))
    except json.JSONDecodeError as exc:
        raise ImportFailure(f"not JSON: {exc.msg}") from None


def _create_object(ctx, v, path):
    if len(v) % 2:
        raise ImportFailure("expects key/value pairs")
    return {_str(v[i]): v[i + 1] for i in range(0, len(v), 2)}


def _pad_left(ctx, v, path):
    _need(v, 2, 3)
    pad = _str(v[2]) if len(v) == 3 else " "
    return to_string(v[0]).rjust(_int(v[1]), pad[:1] or " ")


def _index_of(last: bool):
    def run(ctx, v, path):
        _need(v, 2)
        if isinstance(v[0], list):
            matches = [i for i, x in enumerate(v[0]) if _equals(x, v[1])]
            return (matches[-1] if last else matches[0]) if matches else -1
        text, item = _str(v[0]).lower(), _str(v[1]).lower()
        return text.rfind(item) if last else text.find(item)
    return run


def _resource_group(ctx, v, path):
    _need(v, 0)
    return {"id": ctx.resource_group_id, "name": ctx.resource_group, "location": ctx.location,
            "type": "Microsoft.Resources/resourceGroups",
            "properties": {"provisioningState": "Succeeded"}, "tags": {}}


def _subscription(ctx, v, path):
    _need(v, 0)
    return {"id": f"/subscriptions/{ctx.subscription_id}", "subscriptionId": ctx.subscription_id,
            "tenantId": "00000000-0000-0000-0000-000000000000",
            "displayName": "imported subscription"}


def _deployment(ctx, v, path):
    _need(v, 0)
    return {"name": ctx.deployment_name, "properties": {"templateLink": {"uri": ""},
                                                        "parameters": {}, "mode": "Incremental"},
            "location": ctx.location}


def _environment(ctx, v, path):
    _need(v, 0)
    return {"name": "AzureCloud", "suffixes": {"storage": "core.windows.net",
                                               "sqlServerHostname": ".database.windows.net",
                                               "keyvaultDns": ".vault.azure.net"},
            "resourceManager": "https://management.azure.com/",
            "authentication": {"loginEndpoint": "https://login.microsoftonline.com/"}}


def _extension_resource_id(ctx, v, path):
    _need(v, 3, 99)
    scope, rest = _str(v[0]), v[1:]
    rtype = _str(rest[0])
    names = [_str(x) for x in rest[1:]]
    inner = resource_id("x", None, rtype, names).split("/providers/", 1)[1]
    return f"{scope.rstrip('/')}/providers/{inner}"


def _tenant_resource_id(ctx, v, path):
    _need(v, 2, 99)
    rtype, names = _str(v[0]), [_str(x) for x in v[1:]]
    return "/" + resource_id("x", None, rtype, names).split("/", 3)[3]


def _string_op(fn, count=1):
    def run(ctx, v, path):
        _need(v, count)
        return fn(*[_str(x) for x in v])
    return run


FUNCTIONS: dict[str, Callable[[Context, list, str], Any]] = {
    "concat": _concat,
    "format": _format,
    "resourceid": lambda ctx, v, path: _resource_id_args(ctx, v),
    "subscriptionresourceid": lambda ctx, v, path: _resource_id_args(ctx, v, group=False),
    "extensionresourceid": _extension_resource_id,
    "tenantresourceid": _tenant_resource_id,
    "resourcegroup": _resource_group,
    "subscription": _subscription,
    "deployment": _deployment,
    "environment": _environment,
    "uniquestring": _unique_string,
    "guid": _guid,
    "newguid": lambda ctx, v, path: str(uuid.UUID(int=0)),
    "utcnow": lambda ctx, v, path: "20250101T000000Z",
    "range": _range,
    "length": _length,
    "equals": lambda ctx, v, path: (_need(v, 2), _equals(v[0], v[1]))[1],
    "not": lambda ctx, v, path: (_need(v, 1), not _bool(v[0]))[1],
    "empty": _empty,
    "json": _json_fn,
    "tolower": _string_op(str.lower),
    "toupper": _string_op(str.upper),
    "trim": _string_op(str.strip),
    "string": lambda ctx, v, path: (_need(v, 1), to_string(v[0]))[1],
    "int": _int_fn,
    "bool": _bool_fn,
    "float": lambda ctx, v, path: (_need(v, 1), float(v[0]))[1],
    "add": _arith(lambda a, b: a + b),
    "sub": _arith(lambda a, b: a - b),
    "mul": _arith(lambda a, b: a * b),
    "div": _arith(_div),
    "mod": _arith(_mod),
    "substring": _substring,
    "split": _split,
    "replace": lambda ctx, v, path: (_need(v, 3), _str(v[0]).replace(_str(v[1]), _str(v[2])))[1],
    "contains": _contains,
    "union": _union,
    "intersection": _intersection,
    "createarray": lambda ctx, v, path: list(v),
    "array": lambda ctx, v, path: (_need(v, 1), v[0] if isinstance(v[0], list) else [v[0]])[1],
    "createobject": _create_object,
    "null": lambda ctx, v, path: (_need(v, 0), None)[1],
    "true": lambda ctx, v, path: (_need(v, 0), True)[1],
    "false": lambda ctx, v, path: (_need(v, 0), False)[1],
    "greater": _compare(lambda a, b: a > b),
    "less": _compare(lambda a, b: a < b),
    "greaterorequals": _compare(lambda a, b: a >= b),
    "lessorequals": _compare(lambda a, b: a <= b),
    "first": _first_last(True),
    "last": _first_last(False),
    "take": _take_skip(True),
    "skip": _take_skip(False),
    "min": _min_max(min),
    "max": _min_max(max),
    "startswith": _string_op(lambda a, b: a.lower().startswith(b.lower()), 2),
    "endswith": _string_op(lambda a, b: a.lower().endswith(b.lower()), 2),
    "indexof": _index_of(False),
    "lastindexof": _index_of(True),
    "padleft": _pad_left,
    "base64": _string_op(lambda s: base64.b64encode(s.encode()).decode()),
    "base64tostring": _string_op(lambda s: base64.b64decode(s.encode()).decode("utf-8", "replace")),
    "uri": _string_op(lambda base, rel: base.rsplit("/", 1)[0] + "/" + rel.lstrip("/"), 2),
    "uricomponent": _string_op(lambda s: __import__("urllib.parse").parse.quote(s, safe="")),
    "pickzones": lambda ctx, v, path: [],
}

# lambdas, safe access, collections and CIDR functions (Bicep's output uses them); they are
# built on the helpers above, so they join the tables here
from .arm_functions import LAZY_FUNCTIONS, MORE_FUNCTIONS  # noqa: E402

_LAZY.update(LAZY_FUNCTIONS)
FUNCTIONS.update(MORE_FUNCTIONS)

#: the functions the importer evaluates, for docs and error messages
SUPPORTED_FUNCTIONS = sorted(set(FUNCTIONS) | set(_LAZY) | {"list*"})
