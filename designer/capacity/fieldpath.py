"""What a sweep varies: ``PATH=VALUES`` (``--vary``), parsed once and applied to copies.

PATH names a field of a node by id, nested records by name and list index
(``web-flood.rate_per_s``, ``lb.outbound_rules[0].allocated_ports``, ``flood.hold.mean_s``,
``nat.idle_timeout_min``), or a count: ``SUBNET.vms`` / ``LB.vms`` (VMs in a subnet or
backend pool, added as copies of the last one or removed from the end), ``NAT.public_ips``
(a NAT gateway's public IPs) and ``LB.public_ips`` (a load balancer's frontend IPs).

VALUES is ``a,b,c``, ``start:stop:step`` (stop included when the steps reach it) or
``first..last`` (integers, step 1).  Values are checked against the field's documented type
and range before anything runs.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

from ..model import Scenario
from ..model.components import field_specs
from . import edits

COUNTS = {"vms": ("subnet", "load_balancer"), "public_ips": ("nat_gateway", "load_balancer")}
_STEP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")
#: a sweep of more points than this is refused (a typo like 1:100000:1)
MAX_VALUES = 10_000


class VaryError(ValueError):
    """A --vary that cannot be used; the message names it and says why."""


@dataclass(frozen=True)
class Vary:
    path: str
    node_id: str
    steps: tuple[tuple[str, int | None], ...]   # (field, index) from the node down
    values: tuple[Any, ...]
    count: str | None = None                    # "vms" | "public_ips" for counts

    def apply(self, scenario: Scenario, value: Any) -> Scenario:
        """A copy of ``scenario`` with this path set to ``value``."""
        if self.count == "vms":
            return edits.set_vm_count(scenario, self.node_id, int(value))
        if self.count == "public_ips":
            if scenario.topology.node(self.node_id).KIND == "nat_gateway":
                return edits.set_nat_public_ips(scenario, self.node_id, int(value))
            return edits.set_lb_frontends(scenario, self.node_id, int(value))
        out = edits.copy_scenario(scenario)
        node = out.topology.node(self.node_id)
        out.topology.replace_node(_set(node, self.steps, value))
        return out


def _set(obj: Any, steps, value: Any) -> Any:
    (name, index), rest = steps[0], steps[1:]
    current = getattr(obj, name)
    if index is None:
        new = _set(current, rest, value) if rest else value
        return dataclasses.replace(obj, **{name: new})
    items = list(current)
    items[index] = _set(items[index], rest, value) if rest else value
    return dataclasses.replace(obj, **{name: tuple(items)})


def _split_node(scenario: Scenario, path: str) -> tuple[str, str]:
    """(node id, rest): the longest node id before a dot (ids may contain dots)."""
    ids = set(scenario.topology.node_ids())
    for i in range(len(path) - 1, 0, -1):
        if path[i] == "." and path[:i] in ids:
            return path[:i], path[i + 1:]
    head = path.split(".", 1)[0]
    raise VaryError(f"--vary {path}: no node with id {head!r}")


def parse_vary(scenario: Scenario, text: str) -> Vary:
    """``PATH=VALUES`` -> :class:`Vary`, checked against the scenario."""
    path, sep, values_text = text.partition("=")
    path = path.strip()
    if not sep or not path or not values_text.strip():
        raise VaryError(f"--vary {text}: expected PATH=VALUES, e.g. flood.rate_per_s=5,10,20")
    node_id, rest = _split_node(scenario, path)
    node = scenario.topology.node(node_id)
    if rest in COUNTS:
        if node.KIND not in COUNTS[rest]:
            kinds = " or ".join(k.replace("_", " ") for k in COUNTS[rest])
            raise VaryError(f"--vary {path}: {rest} counts are varied on a {kinds}, and "
                            f"{node_id} is a {node.KIND.replace('_', ' ')}")
        values = tuple(int(v) for v in _values(path, values_text, "int", 0, None))
        return Vary(path, node_id, (), values, count=rest)
    steps = []
    obj: Any = node
    spec = None
    for part in rest.split("."):
        match = _STEP.match(part)
        if not match:
            raise VaryError(f"--vary {path}: cannot read {part!r} (expected a field name, "
                            f"optionally with [index])")
        name, index = match.group(1), match.group(2)
        specs = {s.name: s for s in field_specs(type(obj))} if obj is not None else {}
        if name not in specs:
            what = getattr(obj, "KIND", type(obj).__name__) if obj is not None else "value"
            known = ", ".join(sorted(specs)) or "none"
            raise VaryError(f"--vary {path}: a {what} has no field {name!r} (fields: {known})")
        spec = specs[name]
        value = getattr(obj, name)
        if index is not None:
            if spec.type != "record_list":
                raise VaryError(f"--vary {path}: {name} is not a list")
            if int(index) >= len(value):
                raise VaryError(f"--vary {path}: {node_id} has {len(value)} {name}, so there "
                                f"is no [{index}]")
            value = value[int(index)]
        elif spec.type == "record_list":
            raise VaryError(f"--vary {path}: {name} is a list; name one, e.g. {name}[0]")
        steps.append((name, None if index is None else int(index)))
        obj = value if spec.type in ("record", "record_list") else None
    if spec is None or spec.type not in ("int", "float", "bool", "enum", "str"):
        raise VaryError(f"--vary {path}: only numbers, switches and choices can be varied")
    values = _values(path, values_text, spec.type, spec.minimum, spec.maximum, spec.choices,
                     optional=spec.optional)
    return Vary(path, node_id, tuple(steps), tuple(values))


def _number(path: str, text: str, value_type: str) -> float | int:
    try:
        number = float(text)
    except ValueError:
        raise VaryError(f"--vary {path}: {text!r} is not a number") from None
    if not math.isfinite(number):
        raise VaryError(f"--vary {path}: {text!r} is not a finite number")
    if value_type == "int":
        if number != int(number):
            raise VaryError(f"--vary {path}: {text} is not a whole number")
        return int(number)
    return int(number) if number == int(number) else number


def _values(path: str, text: str, value_type: str, minimum=None, maximum=None,
            choices=(), optional: bool = False) -> list[Any]:
    text = text.strip()
    if value_type in ("int", "float") and ".." in text and ":" not in text:
        first, _, last = text.partition("..")
        lo, hi = _number(path, first, "int"), _number(path, last, "int")
        values: list[Any] = list(range(lo, hi + 1)) if lo <= hi else list(range(lo, hi - 1, -1))
    elif value_type in ("int", "float") and ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise VaryError(f"--vary {path}: expected start:stop:step, got {text!r}")
        start, stop, step = (_number(path, p, value_type if value_type == "int" else "float")
                             for p in parts)
        if step == 0 or (stop - start) / step < 0:
            raise VaryError(f"--vary {path}: {text} has no values (check the step's sign)")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        if n > MAX_VALUES:
            raise VaryError(f"--vary {path}: {text} gives {n:,} values; at most {MAX_VALUES:,}")
        values = [start + i * step for i in range(n)]
        if value_type == "float":
            values = [round(v, 9) for v in values]
            values = [int(v) if v == int(v) else v for v in values]
    else:
        raw = [p.strip() for p in text.split(",")]
        if any(not p for p in raw):
            raise VaryError(f"--vary {path}: empty value in {text!r}")
        values = [_typed(path, p, value_type, choices, optional) for p in raw]
    if len(values) > MAX_VALUES:
        raise VaryError(f"--vary {path}: {len(values):,} values; at most {MAX_VALUES:,}")
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if minimum is not None and v < minimum:
                raise VaryError(f"--vary {path}: {v} is below the smallest allowed value "
                                f"{minimum:g}")
            if maximum is not None and v > maximum:
                raise VaryError(f"--vary {path}: {v} is above the largest allowed value "
                                f"{maximum:g}")
    return values


def _typed(path: str, text: str, value_type: str, choices, optional: bool) -> Any:
    if optional and text in ("null", "none"):
        return None
    if value_type in ("int", "float"):
        return _number(path, text, value_type)
    if value_type == "bool":
        if text.lower() in ("true", "yes", "on", "1"):
            return True
        if text.lower() in ("false", "no", "off", "0"):
            return False
        raise VaryError(f"--vary {path}: {text!r} is not true or false")
    if value_type == "enum" and text not in choices:
        raise VaryError(f"--vary {path}: {text!r} is not one of {', '.join(map(str, choices))}")
    return text
