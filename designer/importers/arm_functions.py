"""The template functions Bicep's output leans on, beyond the classic set of
``arm_expressions``: lambdas (``map``, ``filter``, ``reduce``, ``sort``, ``toObject``,
``mapValues``, ``groupBy`` with ``lambda``/``lambdaVariables``), safe access (``tryGet``,
what Bicep's ``.?`` becomes), object and array helpers (``items`` — what a ``for`` loop over
an object becomes —, ``objectKeys``, ``flatten``, ``join``, ``shallowMerge``,
``indexFromEnd``) and the CIDR functions (``parseCidr``, ``cidrSubnet``, ``cidrHost``) that
address plans use.

The tables at the end join ``arm_expressions.FUNCTIONS`` and its lazy functions.
"""
from __future__ import annotations

import ipaddress
from functools import cmp_to_key
from typing import Any

from .arm_expressions import (Context, ImportFailure, _eval, _int, _need, _str, lookup,
                              to_string)


class Lambda:
    """``lambda('x', 'i', body)``: parameter names, the body's syntax tree and the context it
    was written in (so that a lambda inside a lambda sees the outer one's variables)."""

    __slots__ = ("names", "body", "ctx", "path")

    def __init__(self, names: list[str], body: tuple, ctx: Context, path: str):
        self.names, self.body, self.ctx, self.path = names, body, ctx, path

    def __call__(self, *values: Any) -> Any:
        ctx = self.ctx.with_lambda(dict(zip((n.lower() for n in self.names), values)))
        return _eval(self.body, ctx, self.path)

    def __repr__(self) -> str:
        return f"<lambda {', '.join(self.names)}>"


def _lambda(ctx: Context, args: tuple, path: str) -> Lambda:
    if len(args) < 2:
        raise ImportFailure(f"{path}: lambda() expects parameter names and a body")
    names = [_eval(a, ctx, path) for a in args[:-1]]
    if not all(isinstance(n, str) and n for n in names):
        raise ImportFailure(f"{path}: lambda() parameter names must be strings")
    return Lambda(names, args[-1], ctx, path)


def _lambda_variables(ctx: Context, args: tuple, path: str) -> Any:
    if len(args) != 1:
        raise ImportFailure(f"{path}: lambdaVariables() expects 1 argument")
    name = _eval(args[0], ctx, path)
    if not isinstance(name, str) or name.lower() not in ctx.lambdas:
        raise ImportFailure(f"{path}: lambdaVariables({name!r}) outside a lambda that "
                            f"declares it")
    return ctx.lambdas[name.lower()]


def _fn(value: Any, arity: tuple[int, ...]) -> Lambda:
    if not isinstance(value, Lambda):
        raise ImportFailure("expects a lambda() as its last argument")
    if len(value.names) not in arity:
        raise ImportFailure(f"expects a lambda of {' or '.join(map(str, arity))} "
                            f"parameter(s), got {len(value.names)}")
    return value


def _call(fn: Lambda, *values: Any) -> Any:
    """``fn`` with as many of ``values`` as it declares (item, then index)."""
    return fn(*values[:len(fn.names)])


def _array(value: Any) -> list:
    if not isinstance(value, list):
        raise ImportFailure("expects an array")
    return value


def _map(ctx, v, path):
    _need(v, 2)
    fn = _fn(v[1], (1, 2))
    return [_call(fn, item, i) for i, item in enumerate(_array(v[0]))]


def _filter(ctx, v, path):
    _need(v, 2)
    fn = _fn(v[1], (1, 2))
    return [item for i, item in enumerate(_array(v[0])) if _call(fn, item, i) is True]


def _reduce(ctx, v, path):
    _need(v, 3)
    fn = _fn(v[2], (2, 3))
    current = v[1]
    for i, item in enumerate(_array(v[0])):
        current = _call(fn, current, item, i)
    return current


def _sort(ctx, v, path):
    _need(v, 2)
    fn = _fn(v[1], (2,))
    return sorted(_array(v[0]), key=cmp_to_key(
        lambda a, b: -1 if fn(a, b) is True else (1 if fn(b, a) is True else 0)))


def _to_object(ctx, v, path):
    _need(v, 2, 3)
    key_fn = _fn(v[1], (1,))
    value_fn = _fn(v[2], (1,)) if len(v) == 3 else None
    out: dict = {}
    for item in _array(v[0]):
        out[to_string(key_fn(item))] = value_fn(item) if value_fn else item
    return out


def _map_values(ctx, v, path):
    _need(v, 2)
    fn = _fn(v[1], (1,))
    if not isinstance(v[0], dict):
        raise ImportFailure("expects an object")
    return {k: fn(item) for k, item in v[0].items()}


def _group_by(ctx, v, path):
    _need(v, 2)
    fn = _fn(v[1], (1,))
    out: dict = {}
    for item in _array(v[0]):
        out.setdefault(to_string(fn(item)), []).append(item)
    return out


def _try_get(ctx, v, path):
    _need(v, 2, 99)
    value = v[0]
    for key in v[1:]:
        if isinstance(value, dict) and isinstance(key, str):
            value = lookup(value, key)
        elif isinstance(value, list) and isinstance(key, int) and not isinstance(key, bool):
            value = value[key] if 0 <= key < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def _items(ctx, v, path):
    _need(v, 1)
    if not isinstance(v[0], dict):
        raise ImportFailure("expects an object")
    # ARM returns the entries sorted by key
    return [{"key": k, "value": v[0][k]} for k in sorted(v[0], key=str.lower)]


def _object_keys(ctx, v, path):
    _need(v, 1)
    if not isinstance(v[0], dict):
        raise ImportFailure("expects an object")
    return list(v[0])


def _flatten(ctx, v, path):
    _need(v, 1)
    out: list = []
    for item in _array(v[0]):
        out.extend(_array(item))
    return out


def _join(ctx, v, path):
    _need(v, 2)
    return _str(v[1]).join(to_string(item) for item in _array(v[0]))


def _shallow_merge(ctx, v, path):
    _need(v, 1)
    out: dict = {}
    for item in _array(v[0]):
        if not isinstance(item, dict):
            raise ImportFailure("expects an array of objects")
        out.update(item)
    return out


def _index_from_end(strict: bool):
    def run(ctx, v, path):
        _need(v, 2)
        items, back = _array(v[0]), _int(v[1])
        if 1 <= back <= len(items):
            return items[len(items) - back]
        if strict:
            raise ImportFailure(f"index {back} from the end is outside the array of "
                                f"{len(items)} item(s)")
        return None
    return run


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(_str(value), strict=False)
    except ValueError:
        raise ImportFailure(f"{value!r} is not a network in CIDR notation") from None


def _parse_cidr(ctx, v, path):
    _need(v, 1)
    net = _network(v[0])
    out = {"network": str(net.network_address), "netmask": str(net.netmask)}
    if net.version == 4:
        out["broadcast"] = str(net.broadcast_address)
        usable = net.prefixlen < 31
        out["firstUsable"] = str(net.network_address + (1 if usable else 0))
        out["lastUsable"] = str(net.broadcast_address - (1 if usable else 0))
    else:
        out["firstUsable"] = str(net.network_address)
        out["lastUsable"] = str(net.broadcast_address)
    out["cidr"] = net.prefixlen
    return out


def _cidr_subnet(ctx, v, path):
    _need(v, 3)
    net, new, index = _network(v[0]), _int(v[1]), _int(v[2])
    if not net.prefixlen <= new <= net.max_prefixlen:
        raise ImportFailure(f"new CIDR /{new} does not fit inside {net}")
    count = 2 ** (new - net.prefixlen)
    if not 0 <= index < count:
        raise ImportFailure(f"subnet index {index} is outside the {count} /{new} subnets of "
                            f"{net}")
    size = 2 ** (net.max_prefixlen - new)
    return f"{net.network_address + index * size}/{new}"


def _cidr_host(ctx, v, path):
    _need(v, 2)
    net, index = _network(v[0]), _int(v[1])
    # the first usable address is index 0 (the network address itself is not a host)
    if not 0 <= index < net.num_addresses - (2 if net.version == 4 else 1):
        raise ImportFailure(f"host index {index} is outside {net}")
    return str(net.network_address + index + 1)


LAZY_FUNCTIONS = {"lambda": _lambda, "lambdavariables": _lambda_variables}

MORE_FUNCTIONS = {
    "map": _map, "filter": _filter, "reduce": _reduce, "sort": _sort,
    "toobject": _to_object, "mapvalues": _map_values, "groupby": _group_by,
    "tryget": _try_get, "items": _items, "objectkeys": _object_keys, "flatten": _flatten,
    "join": _join, "shallowmerge": _shallow_merge,
    "indexfromend": _index_from_end(True), "tryindexfromend": _index_from_end(False),
    "parsecidr": _parse_cidr, "cidrsubnet": _cidr_subnet, "cidrhost": _cidr_host,
}
