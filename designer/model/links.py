"""The link-rule table: which node kinds may link, in which direction, and how many.

This is the one place that knows it.  The loader uses it to check and infer link kinds, the
validator to report multiplicity problems, and the editor to light up valid targets and
explain refusals while the user drags a connection.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """A directed, typed link between two nodes (immutable; identity is the triple)."""
    source: str
    target: str
    kind: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.kind)

    def describe(self) -> str:
        return f"{self.kind} link {self.source} -> {self.target}"


@dataclass(frozen=True)
class LinkRule:
    kind: str
    label: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    #: at most this many links of this kind may leave one source node (None = unlimited)
    max_out: int | None
    #: at most this many links of this kind may enter one target node (None = unlimited)
    max_in: int | None
    meaning: str


LINK_RULES: dict[str, LinkRule] = {r.kind: r for r in (
    LinkRule("frontend", "Frontend IP", ("load_balancer",), ("public_ip",), None, 1,
             "a frontend IP configuration of a public load balancer"),
    LinkRule("backend", "Backend pool member", ("load_balancer",), ("vm",), None, None,
             "backend pool membership"),
    LinkRule("instance_ip", "Instance public IP", ("vm",), ("public_ip",), 1, 1,
             "an instance-level public IP on the VM's NIC"),
    LinkRule("in_subnet", "In subnet", ("vm",), ("subnet",), 1, None,
             "the VM's NIC is in this subnet"),
    LinkRule("in_vnet", "In virtual network", ("subnet",), ("vnet",), 1, None,
             "the subnet is in this virtual network"),
    LinkRule("nsg", "NSG association", ("nsg",), ("vm", "subnet"), None, 1,
             "NSG associated at NIC or subnet level"),
    LinkRule("nat", "NAT gateway", ("nat_gateway",), ("subnet", "public_ip"), None, 1,
             "NAT gateway attached to a subnet, or using a public IP"),
    LinkRule("source", "Traffic source", ("traffic_generator",), ("vm", "subnet", "load_balancer"),
             None, None, "who opens the flows (every VM of a subnet or backend pool)"),
    LinkRule("destination", "Traffic destination", ("traffic_generator",),
             ("endpoint", "public_ip"), None, None, "where the flows go"),
)}
LINK_KINDS: tuple[str, ...] = tuple(LINK_RULES)

#: NAT gateway: at most 16 public IPs (M-B8)
NAT_GATEWAY_MAX_IPS = 16


def link_kinds_between(source_kind: str, target_kind: str) -> list[str]:
    """Every link kind that may go from a node of ``source_kind`` to one of ``target_kind``."""
    return [r.kind for r in LINK_RULES.values()
            if source_kind in r.sources and target_kind in r.targets]


def infer_link_kind(source_kind: str, target_kind: str) -> str | None:
    """The link kind when exactly one fits, else None."""
    kinds = link_kinds_between(source_kind, target_kind)
    return kinds[0] if len(kinds) == 1 else None


def why_not(kind: str | None, source_kind: str, target_kind: str) -> str | None:
    """None when the link is allowed by kind, else a sentence saying why not."""
    if kind is None:
        if link_kinds_between(source_kind, target_kind):
            return None
        reverse = link_kinds_between(target_kind, source_kind)
        if reverse:
            return (f"a {reverse[0]} link goes from {target_kind} to {source_kind}, "
                    f"not the other way")
        return f"no link can connect a {source_kind} to a {target_kind}"
    rule = LINK_RULES.get(kind)
    if rule is None:
        return f"unknown link kind {kind!r} (expected one of {', '.join(LINK_KINDS)})"
    if source_kind not in rule.sources:
        return f"a {kind} link must start at a {' or '.join(rule.sources)}, not a {source_kind}"
    if target_kind not in rule.targets:
        return f"a {kind} link must end at a {' or '.join(rule.targets)}, not a {target_kind}"
    return None


# ---------------------------------------------------------------------------- in user words

#: how the editor names node kinds in what it says while someone draws
KIND_WORDS = {"vm": "virtual machine", "load_balancer": "load balancer", "public_ip": "public IP",
              "nsg": "network security group", "subnet": "subnet",
              "vnet": "virtual network", "nat_gateway": "NAT gateway",
              "endpoint": "Internet endpoint", "traffic_generator": "traffic generator"}


def kind_words(kind: str, article: bool = True) -> str:
    """"a load balancer", "an Internet endpoint" (or without the article)."""
    words = KIND_WORDS.get(kind, kind.replace("_", " "))
    if not article:
        return words
    return ("an " if words[0].lower() in "aeio" else "a ") + words


def _either(kinds: tuple[str, ...]) -> str:
    words = [kind_words(k) for k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


#: what each link kind does, as a verb phrase between its two ends
LINK_VERBS = {"frontend": "takes its frontend from", "backend": "has in its backend pool",
              "instance_ip": "gets an instance public IP from", "in_subnet": "is placed in",
              "in_vnet": "is part of", "nsg": "is attached to", "nat": "is attached to",
              "source": "generates traffic from", "destination": "sends traffic to"}


def refusal(kind: str | None, source_kind: str, target_kind: str) -> str | None:
    """What :func:`why_not` says, in the words of someone drawing: "a network security group
    can't be attached to a load balancer" rather than the file's kind names."""
    if why_not(kind, source_kind, target_kind) is None:
        return None
    if kind is None or kind not in LINK_RULES:
        return f"{kind_words(source_kind)} can't be attached to {kind_words(target_kind)}"
    rule = LINK_RULES[kind]
    verb = LINK_VERBS.get(kind, "links to")
    if source_kind not in rule.sources:
        return f"only {_either(rule.sources)} {verb} {_either(rule.targets)}"
    return (f"{kind_words(source_kind)} {verb} {_either(rule.targets)}, not "
            f"{kind_words(target_kind)}")
