"""A small HCL writer: blocks, attributes aligned the way ``terraform fmt`` aligns them, and
values (strings, numbers, lists, objects, raw expressions)."""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any, Union

INDENT = "  "
WIDTH = 100


@dataclass(frozen=True)
class Raw:
    """An expression written as it is (``azurerm_lb.web.id``, ``var.location``)."""
    text: str


@dataclass
class Attr:
    name: str
    value: Any


@dataclass
class Comment:
    text: str


@dataclass
class Block:
    type: str
    labels: tuple[str, ...] = ()
    items: list[Union["Attr", "Block", "Comment", None]] = field(default_factory=list)

    def attr(self, name: str, value: Any) -> "Block":
        self.items.append(Attr(name, value))
        return self

    def block(self, block: "Block") -> "Block":
        self.items.append(block)
        return self

    def blank(self) -> "Block":
        self.items.append(None)
        return self


def string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${")
               .replace("%{", "%%{"))
    return f'"{escaped}"'


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def value(v: Any, indent: str) -> str:
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, (list, tuple)):
        items = [value(x, indent + INDENT) for x in v]
        one_line = "[" + ", ".join(items) + "]"
        if len(one_line) + len(indent) < WIDTH - 30 and "\n" not in one_line:
            return one_line
        inner = indent + INDENT
        return "[\n" + "".join(f"{inner}{item},\n" for item in items) + indent + "]"
    if isinstance(v, dict):
        inner = indent + INDENT
        width = max((len(k) for k in v), default=0)
        lines = [f"{inner}{k.ljust(width) if _IDENT.match(k) else string(k)} = "
                 f"{value(x, inner)}" for k, x in v.items()]
        return "{\n" + "\n".join(lines) + "\n" + indent + "}"
    raise TypeError(f"no HCL for {v!r}")


def comment_lines(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}" for line in
            textwrap.wrap(text, WIDTH - len(indent) - 2, break_on_hyphens=False)]


def render(block: Block, indent: str = "") -> str:
    head = block.type + "".join(f" {string(label)}" for label in block.labels)
    if not block.items:
        return f"{indent}{head} {{}}"
    inner = indent + INDENT
    lines = [f"{indent}{head} {{"]
    # terraform fmt aligns the "=" of consecutive single-line attributes
    run: list[Attr] = []

    def flush() -> None:
        width = max((len(a.name) for a in run), default=0)
        for a in run:
            lines.append(f"{inner}{a.name.ljust(width)} = {value(a.value, inner)}")
        run.clear()

    previous_was_block = False
    for item in block.items:
        if isinstance(item, Attr):
            if previous_was_block:
                lines.append("")
                previous_was_block = False
            run.append(item)
            if "\n" in value(item.value, inner):
                flush()  # a value over several lines ends the run it is aligned with
        else:
            flush()
            if item is None:
                lines.append("")
            elif isinstance(item, Comment):
                lines.extend(comment_lines(item.text, inner))
            else:
                if lines[-1].strip() and not lines[-1].endswith("{") and \
                        not lines[-1].lstrip().startswith("#"):
                    lines.append("")
                lines.append(render(item, inner))
                previous_was_block = True
    flush()
    lines.append(f"{indent}}}")
    return "\n".join(lines)
