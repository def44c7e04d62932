"""Azure resource names from the scenario's names, and identifiers for the code around them.

A scenario name is free text ("Web server #1", "lb-web"); Azure names are not. The table
:data:`NAMING_RULES` holds the documented rules per resource type (length, characters, first
and last character; "Naming rules and restrictions for Azure resources" in the Azure Resource
Manager docs) and :func:`azure_name` turns any text into a name that satisfies them. A
:class:`Namer` also keeps names unique where Azure needs them unique (case-insensitively, as
Azure compares names) and remembers every name it had to change, so the exported code can say
so in a comment.

Identifiers are the other half: Terraform resource labels (``azurerm_lb.lb_web``) and Bicep
symbolic names (``lbWeb``) are made from the Azure names by :func:`terraform_label` and
:func:`bicep_symbol`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

ALNUM = "A-Za-z0-9"


@dataclass(frozen=True)
class NamingRule:
    """How Azure constrains the name of one resource type."""
    kind: str            # our key: "vnet", "subnet", "vm", ...
    azure_type: str      # e.g. Microsoft.Network/virtualNetworks
    scope: str           # where the name must be unique
    min_len: int
    max_len: int
    chars: str           # regex character class (without brackets) of allowed characters
    first: str           # class of the first character
    last: str            # class of the last character
    fallback: str        # used when nothing of the scenario's name survives
    #: a name made of digits only is refused (VM computer names)
    not_all_digits: bool = False

    def problem(self, name: str) -> str | None:
        """None when ``name`` satisfies the rule, else what is wrong (for tests and messages)."""
        if not self.min_len <= len(name) <= self.max_len:
            return f"length {len(name)} outside {self.min_len}-{self.max_len}"
        if not re.fullmatch(f"[{self.chars}]+", name):
            return f"characters outside [{self.chars}]"
        if not re.match(f"[{self.first}]", name[0]):
            return f"must start with [{self.first}]"
        if not re.match(f"[{self.last}]", name[-1]):
            return f"must end with [{self.last}]"
        if self.not_all_digits and name.isdigit():
            return "must not be digits only"
        return None


def _network(kind: str, azure_type: str, scope: str, fallback: str, min_len: int = 1,
             max_len: int = 80) -> NamingRule:
    # most Microsoft.Network names: alphanumerics, underscores, periods and hyphens; start
    # with an alphanumeric, end with an alphanumeric or an underscore
    return NamingRule(kind, azure_type, scope, min_len, max_len, ALNUM + "_.\\-", ALNUM,
                      ALNUM + "_", fallback)


#: the naming rules of every resource type the exporters write
NAMING_RULES: dict[str, NamingRule] = {r.kind: r for r in (
    _network("vnet", "Microsoft.Network/virtualNetworks", "resource group", "vnet",
             min_len=2, max_len=64),
    _network("subnet", "Microsoft.Network/virtualNetworks/subnets", "virtual network", "subnet"),
    _network("nsg", "Microsoft.Network/networkSecurityGroups", "resource group", "nsg"),
    _network("security_rule", "Microsoft.Network/networkSecurityGroups/securityRules",
             "network security group", "rule"),
    _network("public_ip", "Microsoft.Network/publicIPAddresses", "resource group", "pip"),
    _network("load_balancer", "Microsoft.Network/loadBalancers", "resource group", "lb"),
    _network("lb_part", "Microsoft.Network/loadBalancers/* (frontends, pools, rules, probes)",
             "load balancer", "part"),
    _network("nat_gateway", "Microsoft.Network/natGateways", "resource group", "nat"),
    _network("nic", "Microsoft.Network/networkInterfaces", "resource group", "nic"),
    _network("availability_set", "Microsoft.Compute/availabilitySets", "resource group", "avset"),
    # Linux VM names are 1-64 characters without most punctuation; the same text is the VM's
    # computer (host) name, so we keep to what a host name allows: letters, digits, hyphens
    NamingRule("vm", "Microsoft.Compute/virtualMachines", "resource group", 1, 64,
               ALNUM + "\\-", ALNUM, ALNUM, "vm", not_all_digits=True),
    # resource group (Terraform creates one): 1-90, alphanumerics, underscores, hyphens,
    # periods and parentheses, not ending in a period
    NamingRule("resource_group", "Microsoft.Resources/resourceGroups", "subscription", 1, 90,
               ALNUM + "_.()\\-", ALNUM + "_()\\-", ALNUM + "_()\\-", "rg"),
)}


def natural_key(text: str) -> tuple:
    """Sort key that counts like people do: web-2 before web-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text.lower()) if part)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def azure_name(kind: str, raw: str, *, max_len: int | None = None) -> str:
    """``raw`` made valid for resource type ``kind`` (a key of :data:`NAMING_RULES`): accents
    dropped, other characters replaced by hyphens, ends trimmed to what the rule allows,
    shortened to the maximum length (or ``max_len`` when smaller, to leave room for a suffix)."""
    rule = NAMING_RULES[kind]
    limit = min(rule.max_len, max_len or rule.max_len)
    name = re.sub(f"[^{rule.chars}]+", "-", _ascii(raw).strip())
    name = re.sub(r"-{2,}", "-", name)

    def trim(text: str) -> str:
        text = re.sub(f"^[^{rule.first}]+", "", text)
        return re.sub(f"[^{rule.last}]+$", "", text)

    name = trim(name)
    if rule.not_all_digits and name.isdigit():
        name = f"{rule.fallback}-{name}"
    name = trim(name[:limit])
    if not name:
        name = rule.fallback
    while len(name) < rule.min_len:
        name = f"{name}-{rule.fallback}"[:limit]
    return name


@dataclass
class Renamed:
    kind: str
    original: str
    name: str
    why: str

    def describe(self) -> str:
        return f"{NAMING_RULES[self.kind].azure_type.rsplit('/', 1)[-1]} {self.original!r} -> " \
               f"{self.name!r} ({self.why})"


@dataclass
class Namer:
    """Hands out valid, unique Azure names and remembers the ones it changed."""
    renamed: list[Renamed] = field(default_factory=list)
    _taken: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def name(self, kind: str, raw: str, scope: str = "") -> str:
        """A valid name for ``raw``, unique among the names of ``kind`` in ``scope`` (a
        resource group, or a parent resource such as a VNet or a load balancer)."""
        rule = NAMING_RULES[kind]
        taken = self._taken.setdefault((kind, scope), set())
        name = azure_name(kind, raw)
        why = rule_violation(rule, raw)
        n = 1
        candidate = name
        while candidate.lower() in taken:
            n += 1
            tail = f"-{n}"
            candidate = azure_name(kind, name, max_len=rule.max_len - len(tail)) + tail
        if candidate != name:
            why = f"{why}; " if why else ""
            why += f"{name!r} is already used by another {kind.replace('_', ' ')}"
        taken.add(candidate.lower())
        if candidate != raw:
            self.renamed.append(Renamed(kind, raw, candidate, why or "not a valid Azure name"))
        return candidate

    def reserve(self, kind: str, name: str, scope: str = "") -> None:
        """Mark ``name`` as used without handing it out (names derived elsewhere)."""
        self._taken.setdefault((kind, scope), set()).add(name.lower())


def rule_violation(rule: NamingRule, raw: str) -> str:
    """Why ``raw`` is not a valid name under ``rule``, in words ("" when it is valid)."""
    problem = rule.problem(raw)
    if problem is None:
        return ""
    if problem.startswith("length"):
        return f"{rule.azure_type.rsplit('/', 1)[-1]} names are {rule.min_len}-{rule.max_len} " \
               f"characters"
    if problem.startswith("characters"):
        bad = sorted(set(re.sub(f"[{rule.chars}]", "", raw)))
        return "characters " + " ".join(repr(c) for c in bad) + " are not allowed"
    if problem.startswith("must start"):
        return "a name must start with a letter or digit"
    if problem.startswith("must end"):
        return f"a name must not end with {raw[-1]!r}"
    return "a name must not be digits only"


# ------------------------------------------------------------------------------ identifiers

_WORDS = re.compile(r"[A-Za-z0-9]+")

#: words Bicep reserves or that our templates use for parameters and variables
BICEP_RESERVED = frozenset({
    "resource", "param", "var", "output", "module", "if", "for", "in", "true", "false", "null",
    "existing", "import", "metadata", "type", "func", "targetScope", "using", "extension",
    "location", "adminUsername", "adminSshPublicKey", "vmSize", "vmImage", "linuxConfiguration",
    "i", "az", "sys",
})


def terraform_label(name: str) -> str:
    """A Terraform resource label: lower-case words joined by underscores, never starting with
    a digit (``web-1`` -> ``web_1``, ``1st`` -> ``r_1st``)."""
    label = "_".join(_WORDS.findall(_ascii(name))).lower() or "r"
    return f"r_{label}" if label[0].isdigit() else label


def bicep_symbol(name: str) -> str:
    """A Bicep symbolic name in camelCase (``lb-web`` -> ``lbWeb``, ``web-1`` -> ``web1``)."""
    words = _WORDS.findall(_ascii(name)) or ["r"]
    first = words[0][0].lower() + words[0][1:]
    symbol = first + "".join(w[0].upper() + w[1:] for w in words[1:])
    return f"r{symbol[0].upper()}{symbol[1:]}" if symbol[0].isdigit() else symbol


@dataclass
class Symbols:
    """Unique identifiers in one namespace (a Bicep file, or one Terraform resource type)."""
    reserved: frozenset[str] = frozenset()
    #: between a clashing name and its number (``web2`` in Bicep, ``web_2`` in Terraform)
    sep: str = ""
    _used: set[str] = field(default_factory=set)

    def claim(self, base: str, suffix: str = "") -> str:
        """``base``, or ``base + suffix`` when taken, then numbered: never a clash."""
        candidates = [base] + ([base + suffix] if suffix else [])
        for candidate in candidates:
            if candidate not in self._used and candidate not in self.reserved:
                self._used.add(candidate)
                return candidate
        n = 2
        while f"{candidates[-1]}{self.sep}{n}" in self._used | self.reserved:
            n += 1
        self._used.add(f"{candidates[-1]}{self.sep}{n}")
        return f"{candidates[-1]}{self.sep}{n}"
