"""Generate docs/file-format.md from the model, so the field tables cannot drift from the code.

The prose lives here; every table (node fields, record fields, link kinds, options) and every
sample error message is produced from the model itself (``field_specs``, ``LINK_RULES``,
``OPTION_SPECS``, the loader).  Run from the repository root:

    python docs/gen_file_format.py          # rewrite docs/file-format.md
    python docs/gen_file_format.py --check  # exit 1 if docs/file-format.md is stale

tests/model/test_file_format_doc.py runs the check.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from designer.model import (COMPONENT_CLASSES, FORMAT_VERSION, LINK_RULES,  # noqa: E402
                            OPTION_SPECS, ScenarioFormatError, loads)
from designer.model.components import FieldSpec, Hold, LbRule, NsgRule, OutboundRule, Probe, \
    field_specs  # noqa: E402
from designer.model.io import _plain  # noqa: E402
from designer.model.topology import IMPLIED_SUBNET_PREFIX  # noqa: E402

OUT = ROOT / "docs" / "file-format.md"

TYPE_WORDS = {
    "str": "string", "enum": "string", "int": "integer", "float": "number", "bool": "boolean",
    "ipv4": "IPv4 address", "cidr": "CIDR prefix", "address": "NSG address",
    "cidr_list": "list of CIDR prefixes", "str_list": "list of ids", "point": "[x, y]",
    "ports": "port list", "record": "object", "record_list": "list of objects",
}

KIND_TEXT = {
    "vm": "A virtual machine with one NIC (one primary IPv4 IP configuration). Its outbound "
          "path follows the precedence of the scenario's semantics (M-A3 / M-B2).",
    "load_balancer": "An Azure load balancer: its frontends are `frontend` links to public IPs, "
                     "its backend pool is the VMs it has `backend` links to.",
    "public_ip": "A public IPv4 address resource. It may be attached once: as a load balancer "
                 "frontend, a VM's instance IP, or one of a NAT gateway's IPs.",
    "nsg": "A network security group. Its custom rules are stored; Azure's default rules "
           "(65000, 65001, 65500) are implied and never stored.",
    "subnet": "A subnet, drawn as a box around its VMs. Optional: a VM in no subnet is in an "
              f"implied default subnet ({IMPLIED_SUBNET_PREFIX}).",
    "vnet": "A virtual network, drawn as a box around its subnets. Optional.",
    "nat_gateway": "A NAT gateway (modern semantics only): `nat` links to the subnets it serves "
                   "and to its public IPs (1-16).",
    "endpoint": "A destination on the Internet that generated flows go to.",
    "traffic_generator": "Opens flows: outbound from its source VMs to its destinations, or "
                         "inbound from Internet clients to load balancer frontends.",
}

#: meanings of fields whose spec has no help text (the spec's help wins when it has one)
FIELD_TEXT = {
    ("Vm", "state"): "`stopped` = deallocated; Azure does not probe it (M-B12)",
    ("LoadBalancer", "sku"): "Basic or Standard (classic semantics: Basic only, M-A1); public "
                             "IP frontends must have the same SKU",
    ("LoadBalancer", "type"): "public (frontends are public IPs) or internal (private frontend, "
                              "not drawn)",
    ("LoadBalancer", "rules"): "load-balancing rules; a rule from a public frontend to the pool "
                               "also programs outbound SNAT (M-A2, M-B2)",
    ("LoadBalancer", "outbound_rules"): "outbound rules (modern, Standard only, M-B5)",
    ("LoadBalancer", "probe"): "the health probe of the backend pool (M-A10, M-B12)",
    ("PublicIp", "sku"): "Basic or Standard (classic semantics: Basic only)",
    ("Nsg", "rules"): "custom security rules; the default rules are implied",
    ("Subnet", "prefix"): "the subnet's address range; automatic VM addresses come from it",
    ("Vnet", "address_space"): "the VNet's address ranges; its subnets must lie inside them",
    ("NatGateway", "sku"): "Standard or StandardV2 (M-B10)",
    ("Endpoint", "address"): "the destination's public IPv4 address",
    ("Endpoint", "port"): "the destination port",
    ("TrafficGenerator", "protocol"): "transport protocol of the flows",
    ("TrafficGenerator", "hold"): "how long each flow stays active",
    ("TrafficGenerator", "close"): "how a flow ends after its hold time: `fin` or `rst` (whose "
                                   "release timers then apply) or `idle` (abandoned: only the "
                                   "idle timeout frees the port)",
    ("TrafficGenerator", "keepalive_s"): "TCP keepalive interval; keeps idle flows from timing "
                                         "out; none = no keepalives",
    ("TrafficGenerator", "start_s"): "simulated time of the first flow",
    ("TrafficGenerator", "stop_s"): "simulated time after which no new flow opens; none = until "
                                    "the end of the run",
    ("TrafficGenerator", "direction"): "`outbound`: source VMs call the destinations; "
                                       "`inbound`: Internet clients call load balancer frontends",
    ("LbRule", "name"): "unique among the load balancer's rules",
    ("LbRule", "protocol"): "`tcp`, `udp` or `all`",
    ("LbRule", "frontend_port"): "port on the frontend IP; each 8-port block used costs 8 SNAT "
                                 "ports of that IP (M-B3)",
    ("LbRule", "backend_port"): "port on the backend VMs (what inbound NSG rules see)",
    ("OutboundRule", "name"): "unique among the load balancer's outbound rules",
    ("OutboundRule", "protocol"): "`tcp`, `udp` or `all`",
    ("OutboundRule", "idle_timeout_min"): "idle timeout of the rule's flows (M-B11)",
    ("OutboundRule", "enable_tcp_reset"): "send RST to both ends on idle timeout (M-B11)",
    ("Probe", "protocol"): "`tcp`, `http` or `https` (HTTPS: Standard only)",
    ("Probe", "port"): "backend port probed from 168.63.129.16",
    ("NsgRule", "name"): "unique in the NSG",
    ("NsgRule", "priority"): "lower is evaluated first; 100–4096 (validation), up to 65499 "
                             "with the classic option `nsg_priority_compat`",
    ("NsgRule", "direction"): "`inbound` or `outbound`",
    ("NsgRule", "access"): "`allow` or `deny`",
    ("NsgRule", "protocol"): "`tcp`, `udp`, `icmp` or `*` (any)",
    ("NsgRule", "source"): "source address (an NSG address)",
    ("NsgRule", "destination"): "destination address (an NSG address)",
    ("Hold", "distribution"): "`fixed` (always `mean_s`) or `exponential` with mean `mean_s`",
    ("Hold", "mean_s"): "mean time a flow stays active",
}


def meaning(cls: type, spec: FieldSpec) -> str:
    return spec.help or FIELD_TEXT.get((cls.__name__, spec.name), "")


RECORDS = {LbRule: "load_balancer.rules[]", OutboundRule: "load_balancer.outbound_rules[]",
           Probe: "load_balancer.probe", NsgRule: "nsg.rules[]", Hold: "traffic_generator.hold"}

EXAMPLE = """\
{
  "format": "outbound-designer",
  "version": 1,
  "name": "Web tier behind a Basic load balancer",
  "description": "One VM in the pool of a Basic public load balancer calls an Internet API.",
  "semantics": "classic",
  "seed": 7,
  "options": {},
  "nodes": [
    {"id": "web-1", "kind": "vm", "position": [120, 80]},
    {"id": "lb", "kind": "load_balancer", "sku": "basic", "type": "public",
     "rules": [{"name": "http", "protocol": "tcp", "frontend": "lb-ip", "frontend_port": 80,
                "backend_port": 80}],
     "probe": {"protocol": "tcp", "port": 80, "interval_s": 15, "count": 2}},
    {"id": "lb-ip", "kind": "public_ip", "address": "52.0.0.10", "sku": "basic"},
    {"id": "api", "kind": "endpoint", "address": "20.50.1.4", "port": 443,
     "name": "api.contoso.example"},
    {"id": "gen", "kind": "traffic_generator", "protocol": "tcp", "rate_per_s": 20,
     "hold": {"distribution": "exponential", "mean_s": 5}, "close": "fin", "start_s": 0,
     "stop_s": 600}
  ],
  "links": [
    {"from": "lb", "to": "lb-ip", "kind": "frontend"},
    {"from": "lb", "to": "web-1", "kind": "backend"},
    {"from": "gen", "to": "web-1", "kind": "source"},
    {"from": "gen", "to": "api"}
  ]
}"""

#: bad documents whose real loader messages are shown in the error section
BAD_SAMPLES = [
    ("truncated JSON", '{"format": "outbound-designer", "version": 1, "nodes": ['),
    ("a newer version", {"format": "outbound-designer", "version": FORMAT_VERSION + 1}),
    ("a wrong type", {"format": "outbound-designer", "version": 1,
                      "nodes": [{"id": "web-1", "kind": "vm", "probe_responds": "yes"}]}),
    ("a value out of range", {"format": "outbound-designer", "version": 1,
                              "nodes": [{"id": "lb", "kind": "load_balancer",
                                         "rules": [{"name": "http", "frontend": "ip",
                                                    "backend_port": 70000}]}]}),
    ("an unknown kind", {"format": "outbound-designer", "version": 1,
                         "nodes": [{"id": "fw", "kind": "firewall"}]}),
    ("an unknown field", {"format": "outbound-designer", "version": 1,
                          "nodes": [{"id": "web-1", "kind": "vm", "colour": "red"}]}),
    ("an unknown option", {"format": "outbound-designer", "version": 1,
                           "options": {"turbo": True}}),
    ("a missing id", {"format": "outbound-designer", "version": 1,
                      "nodes": [{"kind": "vm"}]}),
    ("a link to nowhere", {"format": "outbound-designer", "version": 1,
                           "nodes": [{"id": "lb", "kind": "load_balancer"}],
                           "links": [{"from": "lb", "to": "web-9", "kind": "backend"}]}),
    ("a link the wrong way round", {"format": "outbound-designer", "version": 1,
                                    "nodes": [{"id": "lb", "kind": "load_balancer"},
                                              {"id": "web-1", "kind": "vm"}],
                                    "links": [{"from": "web-1", "to": "lb"}]}),
    ("several problems", {"format": "outbound-designer", "version": 1, "seed": "seven",
                          "nodes": [{"id": "web-1", "kind": "vm", "state": "asleep"},
                                    {"id": "web-1", "kind": "vm"}]}),
]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(spec: FieldSpec) -> str:
    if spec.required:
        return "required"
    if spec.default is None:
        return "none"
    if spec.type == "record":
        return f"see {spec.record.__name__}"
    return f"`{json.dumps(_plain(spec.default))}`"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _values(spec: FieldSpec) -> str:
    if spec.choices:
        return ", ".join(f"`{c}`" for c in spec.choices)
    if spec.minimum is not None or spec.maximum is not None:
        unit = f" {spec.unit}" if spec.unit else ""
        if spec.maximum is None:
            return f"≥ {_number(spec.minimum)}{unit}"
        if spec.minimum is None:
            return f"≤ {_number(spec.maximum)}{unit}"
        return f"{_number(spec.minimum)}–{_number(spec.maximum)}{unit}"
    if spec.type in ("record", "record_list"):
        return f"[{spec.record.__name__}](#{spec.record.__name__.lower()})"
    return spec.unit


def _type(spec: FieldSpec) -> str:
    return TYPE_WORDS[spec.type] + (" or null" if spec.optional else "")


def field_table(cls: type, skip: tuple[str, ...] = ()) -> str:
    rows = ["| field | type | default | values | meaning |", "| --- | --- | --- | --- | --- |"]
    for spec in field_specs(cls):
        if spec.name in skip:
            continue
        rows.append(f"| `{spec.name}` | {_type(spec)} | {_default(spec)} | "
                    f"{_cell(_values(spec))} | {_cell(meaning(cls, spec))} |")
    return "\n".join(rows)


def link_table() -> str:
    rows = ["| kind | from | to | at most, per source | at most, per target | meaning |",
            "| --- | --- | --- | --- | --- | --- |"]
    for rule in LINK_RULES.values():
        rows.append(f"| `{rule.kind}` | {', '.join(rule.sources)} | {', '.join(rule.targets)} | "
                    f"{rule.max_out if rule.max_out is not None else 'any'} | "
                    f"{rule.max_in if rule.max_in is not None else 'any'} | {rule.meaning} |")
    return "\n".join(rows)


def option_table() -> str:
    rows = ["| option | default | values | semantics | meaning |",
            "| --- | --- | --- | --- | --- |"]
    for o in OPTION_SPECS.values():
        rows.append(f"| `{o.name}` | `{json.dumps(o.default)}` | "
                    f"{', '.join(f'`{json.dumps(c)}`' for c in o.choices)} | {o.semantics} | "
                    f"{_cell(o.help)} |")
    return "\n".join(rows)


def error_samples() -> str:
    out = []
    for label, doc in BAD_SAMPLES:
        text = doc if isinstance(doc, str) else json.dumps(doc)
        try:
            loads(text, source="web.outbound.json")
        except ScenarioFormatError as exc:
            out.append(f"{label}:\n\n```\n{exc.summary()}\n```\n")
        else:  # pragma: no cover - the generator itself is checked by a test
            raise AssertionError(f"sample {label!r} loaded without error")
    return "\n".join(out)


#: what the default column says for the fields every node has
COMMON_DEFAULTS = {"name": "the id", "position": "laid out (see below)"}


def render() -> str:
    kinds = []
    for kind, cls in COMPONENT_CLASSES.items():
        kinds.append(f"### `{kind}` — {cls.LABEL}\n\n{KIND_TEXT[kind]}\n\n"
                     f"{field_table(cls, skip=('name', 'position'))}\n")
    records = []
    for cls, where in RECORDS.items():
        records.append(f"### {cls.__name__}\n\n{cls.__doc__.strip()} In a file: `{where}`.\n\n"
                       f"{field_table(cls)}\n")
    kind_names = ", ".join(f"`{k}`" for k in COMPONENT_CLASSES)
    common_rows = "\n".join(
        f"| `{s.name}` | {_type(s)} | {COMMON_DEFAULTS.get(s.name) or _default(s)} | "
        f"{_cell(_values(s))} | {_cell(s.help)} |"
        for s in field_specs(COMPONENT_CLASSES["vm"]) if s.name in ("name", "position"))
    return TEMPLATE.format(
        version=FORMAT_VERSION,
        kind_names=kind_names,
        common_rows=common_rows,
        example=EXAMPLE,
        kinds="\n".join(kinds),
        records="\n".join(records),
        links=link_table(),
        options=option_table(),
        errors=error_samples(),
    )


TEMPLATE = """\
# The scenario file format (version {version})

<!-- Generated by docs/gen_file_format.py from the model; edit the script, not this file. -->

A scenario file (`*.outbound.json`) holds one diagram: its nodes (VMs, load balancers, public IPs,
NSGs, subnets, virtual networks, NAT gateways, Internet endpoints, traffic generators), the links
between them, and the settings of the simulation. It is UTF-8 JSON. The editor saves it, the
command line reads it (`outbound-designer validate FILE`, `simulate FILE`, `export FILE OUT`),
and it is meant to be readable and editable by hand and to live in version control.

```json
{example}
```

## Top level

| field | type | default | meaning |
| --- | --- | --- | --- |
| `format` | string | required | always `"outbound-designer"` |
| `version` | integer | required | the format version, `{version}` (see [Versions](#versions)) |
| `name` | string | `"Untitled"` | the scenario's title |
| `description` | string | `""` | what the scenario shows, in a sentence or two |
| `semantics` | string | `"classic"` | `"classic"`: the 2017 Basic load balancer world (rules C1–C12, M-A1–M-A12); `"modern"`: Standard load balancer, outbound rules, NAT gateway, default outbound access as documented today (C1–C12, M-B1–M-B16) |
| `seed` | integer | `1` | random seed: the same file and seed give the same report, byte for byte |
| `options` | object | `{{}}` | documented switches for ambiguous rules (see [Options](#options)); unknown options are an error |
| `nodes` | list of objects | `[]` | the nodes, see [Nodes](#nodes) |
| `links` | list of objects | `[]` | the links, see [Links](#links) |
| `findings` | list of objects | `[]` | findings recorded by whoever made the file, an importer: each has `severity` (`warning` or `info`), `code`, `message` and optionally `node` (an id) and `rule`; validation lists them with its own, and a finding about a node that has been deleted is dropped (see [import.md](import.md)) |

Any other top-level field is an error.

## Nodes

Every node is an object with an `id`, a `kind` and the fields of its kind. Fields that are
left out take their defaults; a field that is not one of its kind's fields is an error.

A node without a `position` (a file written by hand, by a script or by an importer) is laid
out when the file is opened in the editor or exported: the whole diagram when no node has a
position (the Internet on top, public IPs above their load balancers or NAT gateways, those
above the subnet boxes with their VMs inside VNet boxes, NSGs and traffic generators below
what they are attached to), else only the nodes without one, near the nodes they are linked
to (a VM in its subnet's box, a public IP above its load balancer). Nodes never pile up on one
point: two or more nodes at `[0, 0]`, the default (a file written by a program that gave no
positions), are laid out the same way. The file itself is not changed: the positions are
written when the user saves.

| field | type | default | values | meaning |
| --- | --- | --- | --- | --- |
| `id` | string | required | non-empty, unique in the file | how links and rules refer to the node; the editor makes readable ids (`web-1`, `lb-1`, ...) |
| `kind` | string | required | {kind_names} | the node kind |
{common_rows}

Value types used below:

- **IPv4 address**: dotted quad, `10.0.1.4`.
- **CIDR prefix**: `10.0.1.0/24` (host bits are accepted and ignored; validation warns).
- **NSG address**: `*`, an IPv4 address, a CIDR prefix or a service tag: `Internet`,
  `VirtualNetwork`, `AzureLoadBalancer`, `AzurePlatformDNS`, `AzurePlatformIMDS`,
  `AzurePlatformLKM`; the classic spellings `INTERNET`, `VIRTUAL_NETWORK`, `AZURE_LOADBALANCER`
  are accepted too.
- **port list**: `*`, a port (`443`), a range (`1000-2000`) or a comma list of them (`80,443,8000-8100`).
- **[x, y]**: two numbers, canvas units.
- Ranges in the tables are inclusive; a number outside its range is an error.

{kinds}
## Records

Lists and objects nested inside nodes. Records are always saved with every field, so that a
rule reads completely in the file.

{records}
## Links

A link is `{{"from": ID, "to": ID, "kind": KIND}}`. `kind` may be left out when the two node
kinds admit exactly one link kind (a VM and a subnet can only be `in_subnet`); the file is then
saved with the kind written out. A link must go in the direction of the table; a link between
ids that do not exist, a kind that does not fit the two nodes, or the same link twice is an
error.

{links}

The "at most" columns are enforced by the editor while you draw. A file that exceeds them still
loads, and validation reports it (`link-limit`, or `public-ip-attached-twice` for a public IP;
see [validation.md](validation.md)).

## Options

{options}

An option that belongs to the other semantics is accepted and ignored (validation notes it as
`option-not-applicable`).

## Saving

The program writes a canonical form: keys in a fixed order (top level as in the table above;
nodes as `id`, `kind`, `name`, `position`, then the fields in the order of their kind's table;
links as `from`, `to`, `kind`), node fields equal to their defaults left out (except
`position`, always written, so a node placed at the origin stays there),
records written in full, short values on one line. Numbers are saved exactly as loaded: a
whole number without a fraction (`20.0` is written `20`), any other number in the shortest form
that reads back as the same value (`4e-07`, `-0.0`, `0.1`), so no value is ever rounded. Loading
a saved file and saving it again reproduces it byte for byte, so diffs in version control show
real changes only.

Saving is atomic: the file is written to a new temporary file next to it (a random name,
`.NAME.xxxxxxxx.tmp`, created so that it never follows a link someone planted in the folder),
flushed to disk and moved over the old one, so a crash never leaves half a file; temporary
files of this naming that a killed save left behind are removed by the next save of the same
file. A target that is a symbolic link is followed: the link stays and the file it points to
gets the new content (the editor and `save_scenario` behave the same). A read-only file is not
replaced: the command line says so, the editor asks first. Exported diagrams and reports are
written the same way.

Texts (ids, names, every string) must be real characters: a JSON escape of a lone surrogate
(`"\\ud800"` without its pair) is refused with its JSON path. Positions and box sizes stay
within ±1,000,000 canvas units on each axis (checked at load: every exporter can draw any
diagram inside that range).

## Versions

The current format version is {version}, the first. When the format changes, the version number
goes up, and files of older versions are migrated on load (and saved in the new version). A file
with a newer version than the program knows is refused with a message naming both versions, so an
older program never silently drops what a newer one wrote.

## Error messages

A file that cannot be loaded is refused as a whole (nothing that was open changes). The loader
collects every problem it finds, each with the JSON path of the offending value
(`nodes[3].rules[0].frontend`) and what was expected, and reports them together: one line for a
single problem, a count and one indented line per problem otherwise (at most 20, then "... and N
more"). The command line prints it on one line of stderr (the problems separated by `; `) and
exits with code 2; the editor shows it in a dialog. These are the loader's real messages for
some broken files:

{errors}
A file that loads may still describe a topology Azure would refuse (a public IP attached twice, a
Basic IP on a Standard load balancer, outbound-rule ports that are not a multiple of 8, ...).
Those are validation findings with a severity, not format errors: see
[validation.md](validation.md).
"""


def generate() -> str:
    return render()


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python docs/gen_file_format.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
