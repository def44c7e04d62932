"""Typed components: one frozen dataclass per node kind of the scenario contract.

Every field carries a small spec in its dataclass metadata (value type, choices, range, unit,
help).  The same spec drives the file loader (type checks with JSON paths), the saver (which
fields to write, in which order) and the editor's inspector (which editor widget to show), so
a field is declared exactly once, here.

Components are immutable: an edit replaces the node's object (``dataclasses.replace``), which
makes a topology snapshot for the engine a cheap shallow copy.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


# --------------------------------------------------------------------------------------------
# field specs

#: value types understood by the loader and the inspector
VALUE_TYPES = (
    "str", "int", "float", "bool", "enum", "ipv4", "cidr", "address",
    "cidr_list", "str_list", "point", "record", "record_list", "ports",
)


def spec(value_type: str, default: Any = None, *, choices: tuple[str, ...] = (),
         minimum: float | None = None, maximum: float | None = None, unit: str = "",
         optional: bool = False, required: bool = False, record: type | None = None,
         help: str = "", label: str = "") -> Any:
    """Declare a component field with its spec (stored in the dataclass metadata)."""
    meta = {
        "type": value_type, "choices": choices, "minimum": minimum, "maximum": maximum,
        "unit": unit, "optional": optional, "required": required, "record": record,
        "help": help, "label": label,
    }
    if isinstance(default, (list, dict)):
        raise TypeError("use tuples for defaults: components are immutable")
    return dataclasses.field(default=default, metadata=meta)


#: positions and box sizes stay within +-CANVAS_EXTENT canvas units on each axis (checked at
#: load, docs/file-format.md): ten times the width of a 2,000-node diagram, and small enough
#: that every exporter can draw the whole of it (device coordinates fit in 32 bits)
CANVAS_EXTENT = 1_000_000.0
#: the longest simulated run, and so the largest generator start/stop time: 365 days (the
#: reasons are in designer/sim/budget.py and docs/run-limits.md)
LONGEST_RUN_S = 31_536_000.0


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    default: Any
    choices: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    unit: str
    optional: bool
    required: bool
    record: type | None
    help: str
    label: str

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


def field_specs(cls: type) -> tuple[FieldSpec, ...]:
    """The specs of a component or record class, in declaration order (the save order)."""
    cached = cls.__dict__.get("_field_specs_cache")
    if cached is not None:
        return cached
    out = []
    for f in dataclasses.fields(cls):
        if not f.metadata or "type" not in f.metadata:
            continue
        m = f.metadata
        out.append(FieldSpec(f.name, m["type"], f.default, m["choices"], m["minimum"],
                             m["maximum"], m["unit"], m["optional"], m["required"],
                             m["record"], m["help"], m["label"]))
    result = tuple(out)
    setattr(cls, "_field_specs_cache", result)
    return result


# --------------------------------------------------------------------------------------------
# records nested inside components

PROTOCOLS_LB = ("tcp", "udp", "all")


@dataclass(frozen=True)
class LbRule:
    """A load-balancing rule: frontend IP:port -> backend pool:port."""
    name: str = spec("str", "rule", required=True)
    protocol: str = spec("enum", "tcp", choices=PROTOCOLS_LB)
    frontend: str = spec("str", "", required=True, help="id of a public IP linked as frontend")
    frontend_port: int = spec("int", 80, minimum=0, maximum=65535)
    backend_port: int = spec("int", 80, minimum=0, maximum=65535)
    idle_timeout_min: int = spec("int", 4, minimum=4, maximum=100, unit="min",
                                 help="modern: 4-100 min; classic: fixed at 4 (M-A8, M-B11)")
    disable_outbound_snat: bool = spec("bool", False,
                                       help="modern: no implicit SNAT through this rule (M-B2.5)")
    enable_tcp_reset: bool = spec("bool", False, help="modern: RST both ends on idle (M-B11)")


@dataclass(frozen=True)
class OutboundRule:
    """A Standard load balancer outbound rule (modern only, M-B5)."""
    name: str = spec("str", "outbound", required=True)
    frontends: tuple[str, ...] = spec("str_list", (), help="ids of public IPs linked as frontends")
    protocol: str = spec("enum", "all", choices=PROTOCOLS_LB)
    allocated_ports: int = spec("int", 0, minimum=0, maximum=64000, unit="ports",
                                help="per instance; multiple of 8; 0 = default table (M-B4)")
    idle_timeout_min: int = spec("int", 4, minimum=4, maximum=120, unit="min")
    enable_tcp_reset: bool = spec("bool", False)


@dataclass(frozen=True)
class Probe:
    """A load balancer health probe (M-A10, M-B12)."""
    protocol: str = spec("enum", "tcp", choices=("tcp", "http", "https"))
    port: int = spec("int", 80, minimum=1, maximum=65535)
    path: str = spec("str", "/", help="request path of HTTP(S) probes")
    interval_s: int = spec("int", 15, minimum=5, maximum=120, unit="s",
                           help="classic default 15 s; the modern portal default is 5 s")
    count: int = spec("int", 2, minimum=1, maximum=24,
                      help="classic numberOfProbes: consecutive results to change state")
    threshold: int | None = spec("int", None, optional=True, minimum=1, maximum=24,
                                 help="modern probeThreshold; unset = 1 (M-B12)")


@dataclass(frozen=True)
class NsgRule:
    """A security rule. Addresses: CIDR, single IPv4, ``*`` or a service tag."""
    name: str = spec("str", "rule", required=True)
    priority: int = spec("int", 100, minimum=100, maximum=65499)
    direction: str = spec("enum", "inbound", choices=("inbound", "outbound"))
    access: str = spec("enum", "allow", choices=("allow", "deny"))
    protocol: str = spec("enum", "*", choices=("tcp", "udp", "icmp", "*"))
    source: str = spec("address", "*")
    source_port: str = spec("ports", "*", help="*, a port, a range 1000-2000 or a comma list")
    destination: str = spec("address", "*")
    destination_port: str = spec("ports", "*",
                                 help="*, a port, a range 1000-2000 or a comma list")


@dataclass(frozen=True)
class Hold:
    """How long a generated flow stays active."""
    distribution: str = spec("enum", "exponential", choices=("fixed", "exponential"))
    mean_s: float = spec("float", 5.0, minimum=0.0, maximum=86400.0, unit="s")


# --------------------------------------------------------------------------------------------
# node components

@dataclass(frozen=True)
class Component:
    """Fields every node has.  ``kind`` is a class attribute of each subclass."""
    KIND: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""
    #: containers (subnet, vnet) are drawn as boxes and have a size
    CONTAINER: ClassVar[bool] = False

    id: str
    name: str | None = spec("str", None, optional=True, help="display name; defaults to the id")
    position: tuple[float, float] = spec("point", (0.0, 0.0), minimum=-CANVAS_EXTENT,
                                         maximum=CANVAS_EXTENT, help="canvas position")

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Vm(Component):
    KIND: ClassVar[str] = "vm"
    LABEL: ClassVar[str] = "Virtual machine"
    private_ip: str | None = spec("ipv4", None, optional=True,
                                  help="auto from the subnet when absent")
    availability_set: str | None = spec("str", None, optional=True,
                                        help="VMs sharing an availability set share default SNAT")
    state: str = spec("enum", "running", choices=("running", "stopped"))
    probe_responds: bool = spec("bool", True,
                                help="whether the application answers the health probe")
    admin_state: str = spec("enum", "none", choices=("none", "up", "down"),
                            help="modern LB admin state override (M-B12)")


@dataclass(frozen=True)
class LoadBalancer(Component):
    KIND: ClassVar[str] = "load_balancer"
    LABEL: ClassVar[str] = "Load balancer"
    sku: str = spec("enum", "basic", choices=("basic", "standard"))
    type: str = spec("enum", "public", choices=("public", "internal"))
    rules: tuple[LbRule, ...] = spec("record_list", (), record=LbRule)
    outbound_rules: tuple[OutboundRule, ...] = spec("record_list", (), record=OutboundRule)
    probe: Probe | None = spec("record", None, optional=True, record=Probe)
    no_healthy_backends: str = spec(
        "enum", "all_probed_down", choices=("all_probed_down", "all_probed_up"),
        help="modern noHealthyBackendsBehavior (M-B12)")


@dataclass(frozen=True)
class PublicIp(Component):
    KIND: ClassVar[str] = "public_ip"
    LABEL: ClassVar[str] = "Public IP"
    address: str | None = spec("ipv4", None, optional=True,
                               help="auto from a documentation range when absent")
    sku: str = spec("enum", "basic", choices=("basic", "standard"))


@dataclass(frozen=True)
class Nsg(Component):
    KIND: ClassVar[str] = "nsg"
    LABEL: ClassVar[str] = "Network security group"
    rules: tuple[NsgRule, ...] = spec("record_list", (), record=NsgRule)
    flush_connection: bool = spec("bool", False,
                                  help="re-evaluate existing flows when rules change (C4)")


@dataclass(frozen=True)
class Subnet(Component):
    CONTAINER: ClassVar[bool] = True
    KIND: ClassVar[str] = "subnet"
    LABEL: ClassVar[str] = "Subnet"
    prefix: str = spec("cidr", "10.0.0.0/24")
    private: bool = spec("bool", False, help="modern: no default outbound access (M-B14)")
    default_route: str = spec(
        "enum", "internet", choices=("internet", "virtual_appliance", "vpn_gateway", "expressroute"),
        help="next hop of 0.0.0.0/0; anything but internet is not modelled (M-B2.1)")
    size: tuple[float, float] = spec("point", (320.0, 200.0), minimum=0.0,
                                     maximum=2 * CANVAS_EXTENT, help="box size on the canvas")


@dataclass(frozen=True)
class Vnet(Component):
    CONTAINER: ClassVar[bool] = True
    KIND: ClassVar[str] = "vnet"
    LABEL: ClassVar[str] = "Virtual network"
    address_space: tuple[str, ...] = spec("cidr_list", ("10.0.0.0/16",))
    size: tuple[float, float] = spec("point", (720.0, 420.0), minimum=0.0,
                                     maximum=2 * CANVAS_EXTENT, help="box size on the canvas")


@dataclass(frozen=True)
class NatGateway(Component):
    KIND: ClassVar[str] = "nat_gateway"
    LABEL: ClassVar[str] = "NAT gateway"
    sku: str = spec("enum", "standard", choices=("standard", "standard_v2"))
    idle_timeout_min: int = spec("int", 4, minimum=4, maximum=120, unit="min",
                                 help="TCP idle timeout; UDP is fixed at 4 min (M-B9)")


@dataclass(frozen=True)
class Endpoint(Component):
    KIND: ClassVar[str] = "endpoint"
    LABEL: ClassVar[str] = "Internet endpoint"
    address: str = spec("ipv4", "20.50.1.4", required=True)
    port: int = spec("int", 443, minimum=1, maximum=65535)
    role: str | None = spec("enum", None, optional=True, choices=("whatismyip",),
                            help="whatismyip answers with the source address it saw (C11)")


@dataclass(frozen=True)
class TrafficGenerator(Component):
    KIND: ClassVar[str] = "traffic_generator"
    LABEL: ClassVar[str] = "Traffic generator"
    protocol: str = spec("enum", "tcp", choices=("tcp", "udp"))
    rate_per_s: float = spec("float", 1.0, minimum=0.0, maximum=1_000_000.0, unit="flows/s",
                             help="new flows per second from each source VM (Poisson)")
    hold: Hold = spec("record", Hold(), record=Hold)
    close: str = spec("enum", "fin", choices=("fin", "rst", "idle"))
    keepalive_s: float | None = spec("float", None, optional=True, minimum=1.0, maximum=7200.0,
                                     unit="s")
    pool_size: int = spec("int", 0, minimum=0, maximum=100_000,
                          help="0 = a new connection per request; N = N reused connections")
    start_s: float = spec("float", 0.0, minimum=0.0, maximum=LONGEST_RUN_S, unit="s")
    stop_s: float | None = spec("float", None, optional=True, minimum=0.0,
                                maximum=LONGEST_RUN_S, unit="s")
    direction: str = spec("enum", "outbound", choices=("outbound", "inbound"))
    muted: bool = spec("bool", False, help="a muted generator opens no flows")


COMPONENT_CLASSES: dict[str, type[Component]] = {
    cls.KIND: cls for cls in (Vm, LoadBalancer, PublicIp, Nsg, Subnet, Vnet, NatGateway,
                              Endpoint, TrafficGenerator)
}
NODE_KINDS: tuple[str, ...] = tuple(COMPONENT_CLASSES)


def component_class(kind: str) -> type[Component]:
    return COMPONENT_CLASSES[kind]


def make_component(kind: str, node_id: str, **fields: Any) -> Component:
    """A component of ``kind`` with defaults for every field not given."""
    return COMPONENT_CLASSES[kind](id=node_id, **fields)
