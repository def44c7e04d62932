"""NSG evaluation (C2-C6, M-A11, M-B13): first match by priority, default rules by their exact
names, service tags, NIC then subnet outbound and subnet then NIC inbound.

Addresses are compared as integers; an :class:`NsgEvaluator` is built once per snapshot and
callers cache verdicts (the rules of a snapshot never change).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Callable

from ..model.topology import Scenario
from ..model.values import AZURE_PLATFORM_IP, SERVICE_TAGS, parse_ports, port_matches

IMDS_IP = "169.254.169.254"
#: C6: platform destinations that are not NSG-filtered unless a rule names a platform tag
PLATFORM_TAG_ADDRESSES = {
    "AzurePlatformDNS": AZURE_PLATFORM_IP,
    "AzurePlatformIMDS": IMDS_IP,
    "AzurePlatformLKM": AZURE_PLATFORM_IP,
}
PLATFORM_ADDRESSES = frozenset({AZURE_PLATFORM_IP, IMDS_IP})

#: M-B13 / section 4.2: default rules, modern spellings
DEFAULT_RULES_MODERN = {
    "inbound": (("AllowVNetInBound", 65000, "VirtualNetwork", "VirtualNetwork", "allow"),
                ("AllowAzureLoadBalancerInBound", 65001, "AzureLoadBalancer", "*", "allow"),
                ("DenyAllInbound", 65500, "*", "*", "deny")),
    "outbound": (("AllowVnetOutBound", 65000, "VirtualNetwork", "VirtualNetwork", "allow"),
                 ("AllowInternetOutBound", 65001, "*", "Internet", "allow"),
                 ("DenyAllOutBound", 65500, "*", "*", "deny")),
}
#: M-A11 / section 4.2: the 2016 upper-case names, same priorities and meaning
DEFAULT_RULES_CLASSIC = {
    "inbound": (("ALLOW VNET INBOUND", 65000, "VIRTUAL_NETWORK", "VIRTUAL_NETWORK", "allow"),
                ("ALLOW AZURE LOAD BALANCER INBOUND", 65001, "AZURE_LOADBALANCER", "*", "allow"),
                ("DENY ALL INBOUND", 65500, "*", "*", "deny")),
    "outbound": (("ALLOW VNET OUTBOUND", 65000, "VIRTUAL_NETWORK", "VIRTUAL_NETWORK", "allow"),
                 ("ALLOW INTERNET OUTBOUND", 65001, "*", "INTERNET", "allow"),
                 ("DENY ALL OUTBOUND", 65500, "*", "*", "deny")),
}

#: a representative ephemeral source port for outbound rules that name source ports
EPHEMERAL_SOURCE_PORT = 49152
#: the address Internet clients of inbound generators come from (documentation range)
INTERNET_CLIENT_IP = "192.0.2.1"

_NON_INTERNET = [ipaddress.IPv4Network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4")]


def ip_int(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def _net_range(net: ipaddress.IPv4Network) -> tuple[int, int]:
    return int(net.network_address), int(net.broadcast_address)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    nsg: str | None       # the NSG that decided (None: no NSG at either level)
    rule: str | None      # the rule name that matched
    reason: str

    @property
    def denied(self) -> bool:
        return not self.allowed


ALLOW_NO_NSG = Verdict(True, None, None, "no NSG at NIC or subnet level")


@dataclass(frozen=True)
class CompiledRule:
    name: str
    priority: int
    access: str
    protocol: str
    source: Callable[[int], bool]
    source_ports: tuple | None
    destination: Callable[[int], bool]
    destination_ports: tuple | None
    default: bool
    platform_tag: bool  # names an AzurePlatform* tag (C6)


class NsgEvaluator:
    """Evaluates the NSGs of one snapshot."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        topo = scenario.topology
        self.topology = topo
        self.defaults = DEFAULT_RULES_CLASSIC if scenario.semantics == "classic" \
            else DEFAULT_RULES_MODERN
        self._vnet = [_net_range(n) for n in topo.vnet_prefixes()]
        self._platform = ip_int(AZURE_PLATFORM_IP)
        self._non_internet = [_net_range(n) for n in _NON_INTERNET]
        self._rules: dict[tuple[str, str], list[CompiledRule]] = {}
        self.private_ips = topo.private_ips()

    # ------------------------------------------------------------------ address classes
    def in_vnet(self, ip: int) -> bool:
        return any(lo <= ip <= hi for lo, hi in self._vnet)

    def is_virtual_network(self, ip: int) -> bool:
        """C5: VirtualNetwork = VNet address space (+ the implied subnet) + 168.63.129.16."""
        return ip == self._platform or self.in_vnet(ip)

    def is_internet(self, ip: int) -> bool:
        """C5: Internet = outside the VNet address space and publicly routable (documentation
        ranges count as public: scenarios use them for Internet addresses)."""
        if self.is_virtual_network(ip):
            return False
        return not any(lo <= ip <= hi for lo, hi in self._non_internet)

    def _address(self, text: str) -> tuple[Callable[[int], bool], bool]:
        if text == "*":
            return (lambda ip: True), False
        tag = SERVICE_TAGS.get(text)
        if tag == "VirtualNetwork":
            return self.is_virtual_network, False
        if tag == "Internet":
            return self.is_internet, False
        if tag == "AzureLoadBalancer":
            platform = self._platform
            return (lambda ip: ip == platform), False
        if tag in PLATFORM_TAG_ADDRESSES:
            addr = ip_int(PLATFORM_TAG_ADDRESSES[tag])
            return (lambda ip: ip == addr), True
        net = ipaddress.IPv4Network(text, strict=False)
        lo, hi = _net_range(net)
        return (lambda ip: lo <= ip <= hi), False

    # ------------------------------------------------------------------ rules
    def rules(self, nsg_id: str, direction: str) -> list[CompiledRule]:
        """The effective rules of an NSG in one direction: custom rules by priority, then the
        three default rules (65000, 65001, 65500)."""
        key = (nsg_id, direction)
        cached = self._rules.get(key)
        if cached is not None:
            return cached
        nsg = self.topology.node(nsg_id)
        out = []
        for rule in sorted((r for r in nsg.rules if r.direction == direction),
                           key=lambda r: (r.priority, r.name)):
            src, p1 = self._address(rule.source)
            dst, p2 = self._address(rule.destination)
            out.append(CompiledRule(rule.name, rule.priority, rule.access, rule.protocol, src,
                                    parse_ports(rule.source_port), dst,
                                    parse_ports(rule.destination_port), False, p1 or p2))
        for name, priority, source, destination, access in self.defaults[direction]:
            src, _ = self._address(source)
            dst, _ = self._address(destination)
            out.append(CompiledRule(name, priority, access, "*", src, None, dst, None, True,
                                    False))
        self._rules[key] = out
        return out

    def evaluate(self, nsg_id: str, direction: str, protocol: str, src: int, sport: int,
                 dst: int, dport: int) -> tuple[bool, str]:
        """First match by priority decides (C2, section 4.1)."""
        for rule in self.rules(nsg_id, direction):
            if rule.protocol != "*" and rule.protocol != protocol:
                continue
            if not rule.source(src) or not rule.destination(dst):
                continue
            if not port_matches(rule.source_ports, sport):
                continue
            if not port_matches(rule.destination_ports, dport):
                continue
            return rule.access == "allow", rule.name
        raise AssertionError("the default rules always match")  # pragma: no cover

    def _platform_rule_applies(self, nsg_ids: list[str], direction: str) -> bool:
        return any(r.platform_tag for n in nsg_ids for r in self.rules(n, direction))

    # ------------------------------------------------------------------ a VM's verdicts
    def outbound(self, vm_id: str, protocol: str, dst: str, dport: int) -> Verdict:
        """C2 / section 4.4: NIC NSG outbound, then subnet NSG outbound, on private addresses.
        C6: platform addresses are exempt unless a rule names an AzurePlatform* tag."""
        nic, subnet = self.topology.nsgs_of_vm(vm_id)
        chain = [n for n in (nic, subnet) if n]
        if not chain:
            return ALLOW_NO_NSG
        if dst in PLATFORM_ADDRESSES and not self._platform_rule_applies(chain, "outbound"):
            return Verdict(True, None, None, f"{dst} is platform traffic, not NSG-filtered (C6)")
        src_ip = ip_int(self.private_ips.get(vm_id) or "0.0.0.0")
        dst_ip = ip_int(dst)
        for nsg_id in chain:
            allowed, rule = self.evaluate(nsg_id, "outbound", protocol, src_ip,
                                          EPHEMERAL_SOURCE_PORT, dst_ip, dport)
            level = "NIC" if nsg_id == nic else "subnet"
            if not allowed:
                return Verdict(False, nsg_id, rule,
                               f"outbound {protocol}/{dport} to {dst} denied by rule {rule} of "
                               f"{nsg_id} ({level} NSG)")
        return Verdict(True, chain[-1], rule, f"allowed by rule {rule} of {chain[-1]}")

    def inbound(self, vm_id: str, protocol: str, src: str, dport: int,
                sport: int = EPHEMERAL_SOURCE_PORT) -> Verdict:
        """C3 / section 4.4: subnet NSG inbound first, then NIC NSG inbound; both must allow."""
        nic, subnet = self.topology.nsgs_of_vm(vm_id)
        chain = [n for n in (subnet, nic) if n]
        if not chain:
            return ALLOW_NO_NSG
        src_ip = ip_int(src)
        dst_ip = ip_int(self.private_ips.get(vm_id) or "0.0.0.0")
        for nsg_id in chain:
            allowed, rule = self.evaluate(nsg_id, "inbound", protocol, src_ip, sport, dst_ip,
                                          dport)
            level = "NIC" if nsg_id == nic else "subnet"
            if not allowed:
                return Verdict(False, nsg_id, rule,
                               f"inbound {protocol}/{dport} from {src} denied by rule {rule} of "
                               f"{nsg_id} ({level} NSG)")
        return Verdict(True, chain[-1], rule, f"allowed by rule {rule} of {chain[-1]}")
