"""Load balancers: SKU, type, frontends, load-balancing rules, outbound rules, the probe.

The model has one backend pool and one probe per load balancer: several pools are merged
(noted when rules use different ones), the probe kept is the one the first rule uses. Inbound
NAT rules and pools are noted, not modelled. A rule's frontend is the public IP of its
frontend IP configuration (the first address when the frontend is a prefix).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from ..model.components import LbRule, OutboundRule, Probe
from .arm_expressions import lookup
from .inventory import AzureResource, as_dict, as_list, ref_id

LB_TYPE = "microsoft.network/loadbalancers"


class LoadBalancerMapping:
    """Mixed into the mapper (``mapping._Mapper``), whose frame it uses."""

    def map_load_balancers(self) -> None:
        #: backend pool id (normalised) -> load balancer node
        self.pool_owner: dict[str, str] = {}
        #: load balancer node -> pool ids with their IP-based members (ip addresses)
        self.ip_pool_members: dict[str, list[tuple[str, str]]] = {}
        for lb in self.inv.of_type(LB_TYPE):
            self.map_load_balancer(lb)

    def map_load_balancer(self, lb: AzureResource) -> None:
        sku = self.sku_name(lb)
        if sku == "gateway":
            self.skip(lb, "a Gateway load balancer chains network appliances; not modelled")
            return
        frontends: dict[str, list[str]] = {}
        private_frontends = []
        for entry in as_list(lb.prop("frontendIPConfigurations")):
            if not isinstance(entry, dict):
                continue
            fid = self.child_id(lb, "frontendIPConfigurations", entry)
            props = as_dict(lookup(entry, "properties"))
            pips = self.public_ip_nodes(lookup(props, "publicIPAddress")) + \
                self.public_ip_nodes(lookup(props, "publicIPPrefix"))
            if pips:
                frontends[fid] = pips
            else:
                private_frontends.append(lookup(entry, "name"))
        public = bool(frontends)
        node = self.add("load_balancer", lb.short_name, lb,
                        sku="basic" if sku == "basic" else "standard",
                        type="public" if public else "internal")
        if not sku:
            self.note("info", "import-assumed", f"load balancer {node} names no SKU; the "
                                                f"import takes Standard", lb, node)
        if public and private_frontends:
            self.note("warning", "import-simplified",
                      f"load balancer {node} has public and private frontends; the model's "
                      f"load balancer is one or the other, so the private frontend(s) "
                      f"{', '.join(map(str, private_frontends))} and their rules are left out",
                      lb, node)
        for pips in frontends.values():
            for pip in pips:
                self.link(node, pip, "frontend")
        pools = {}
        for entry in as_list(lb.prop("backendAddressPools")):
            if isinstance(entry, dict):
                pid = self.child_id(lb, "backendAddressPools", entry)
                pools[pid] = entry
                self.pool_owner[pid] = node
                for address in as_list(lookup(as_dict(lookup(entry, "properties")),
                                              "loadBalancerBackendAddresses")):
                    ip = lookup(as_dict(lookup(address, "properties")), "ipAddress") \
                        if isinstance(address, dict) else None
                    if isinstance(ip, str):
                        self.ip_pool_members.setdefault(node, []).append((pid, ip))
        probes = {self.child_id(lb, "probes", e): e for e in as_list(lb.prop("probes"))
                  if isinstance(e, dict)}
        rules, used_pools, used_probe = self.lb_rules(lb, node, frontends, public)
        outbound = self.outbound_rules(lb, node, frontends, used_pools)
        probe = self.lb_probe(lb, node, probes, used_probe)
        # M-B12: noHealthyBackendsBehavior is a property of the probe in Azure, of the LB here
        chosen = probes.get(used_probe) or next(iter(probes.values()), None)
        behaviour = lookup(as_dict(lookup(chosen, "properties")), "noHealthyBackendsBehavior") \
            if chosen else None
        self.topology.replace_node(dataclasses.replace(
            self.topology.node(node), rules=tuple(rules), outbound_rules=tuple(outbound),
            probe=probe, no_healthy_backends="all_probed_up" if isinstance(behaviour, str)
            and behaviour.lower() == "allprobedup" else "all_probed_down"))
        if len(pools) > 1 and len(used_pools) > 1:
            self.note("warning", "import-simplified",
                      f"load balancer {node} has {len(pools)} backend pools used by different "
                      f"rules; the model has one pool per load balancer, so the import merges "
                      f"them and every rule applies to every member", lb, node)
        self.note_nat_rules(lb, node)

    def note_nat_rules(self, lb: AzureResource, node: str) -> None:
        """Inbound NAT rules and pools are not modelled. On a frontend that also carries
        outbound SNAT, each distinct 8-port block of their frontend ports takes 8 SNAT ports
        from the 64,000 (M-B3) that the simulation does not subtract: a warning with the
        number, since an allocation near the limit holds in the simulation and not in Azure."""
        nat_rules = as_list(lb.prop("inboundNatRules")) + as_list(lb.prop("inboundNatPools"))
        if not nat_rules:
            return
        outbound: set[str] = set()
        explicit: set[str] = set()           # frontends of outbound rules with a set number
        counted: dict[str, set[int]] = {}    # the LB rules' blocks, which the model counts
        for rule in as_list(lb.prop("outboundRules")):
            props = as_dict(lookup(rule, "properties")) if isinstance(rule, dict) else {}
            ids = set(filter(None, map(ref_id, as_list(lookup(props, "frontendIPConfigurations")))))
            outbound |= ids
            ports = lookup(props, "allocatedOutboundPorts")
            if isinstance(ports, int) and ports > 0:
                explicit |= ids
        for rule in as_list(lb.prop("loadBalancingRules")):
            props = as_dict(lookup(rule, "properties")) if isinstance(rule, dict) else {}
            fid = ref_id(lookup(props, "frontendIPConfiguration"))
            port = lookup(props, "frontendPort")
            if fid and isinstance(port, int):
                counted.setdefault(fid, set()).add(port // 8)
            if fid and lookup(props, "disableOutboundSnat") is not True:
                outbound.add(fid)
        extra: dict[str, set[int]] = {}
        for rule in nat_rules:
            props = as_dict(lookup(rule, "properties")) if isinstance(rule, dict) else {}
            fid = ref_id(lookup(props, "frontendIPConfiguration"))
            if fid not in outbound:
                continue
            first = lookup(props, "frontendPortRangeStart")
            last = lookup(props, "frontendPortRangeEnd")
            port = lookup(props, "frontendPort")
            ports = range(first, last + 1) if isinstance(first, int) and isinstance(last, int) \
                else [port] if isinstance(port, int) else []
            extra.setdefault(fid, set()).update(
                p // 8 for p in ports if p // 8 not in counted.get(fid, set()))
        names = {self.child_id(lb, "frontendIPConfigurations", e): str(lookup(e, "name"))
                 for e in as_list(lb.prop("frontendIPConfigurations")) if isinstance(e, dict)}
        blocks = {fid: len(b) for fid, b in extra.items() if b}
        where = ", ".join(f"{n} 8-port block(s) ({8 * n:,} ports) on frontend "
                          f"{names.get(fid, fid.rsplit('/', 1)[-1])}"
                          for fid, n in sorted(blocks.items()))
        head = f"load balancer {node}: {len(nat_rules)} inbound NAT rule(s)/pool(s) are not " \
               f"modelled"
        if set(blocks) & explicit:
            self.note("warning", "import-not-modelled",
                      f"{head}; on frontends of an outbound rule with a set number of ports they "
                      f"take {where} from the 64,000 SNAT ports per IP (M-B3), which the "
                      f"simulation does not subtract: an allocation near the limit holds there "
                      f"and not in Azure", lb, node, rule="M-B3")
        else:
            self.note("info", "import-skipped",
                      f"{head}" + (f"; they take {where} from the SNAT ports, which the default "
                                   f"allocation (at most 51,200 per IP, M-B4) never reaches"
                                   if blocks else " (they take no SNAT ports: none is on a "
                                                  "frontend used for outbound SNAT, M-B3)"),
                      lb, node, rule="M-B3")

    def frontend_of(self, lb: AzureResource, node: str, frontends: dict[str, list[str]],
                    reference: Any, what: str) -> list[str] | None:
        fid = ref_id(reference)
        if fid in frontends:
            return frontends[fid]
        if fid:
            return None  # a private frontend
        self.note("warning", "import-bad-value", f"{what} of load balancer {node} names no "
                                                 f"frontend; it is left out", lb, node)
        return None

    def lb_rules(self, lb: AzureResource, node: str, frontends: dict[str, list[str]],
                 public: bool) -> tuple[list[LbRule], set[str], str]:
        rules, used_pools, used_probe = [], set(), ""
        for entry in as_list(lb.prop("loadBalancingRules")):
            if not isinstance(entry, dict):
                continue
            name = lookup(entry, "name")
            name = name if isinstance(name, str) and name else f"rule-{len(rules) + 1}"
            props = as_dict(lookup(entry, "properties"))
            what = f"rule {name}"
            frontend = ""
            if public:
                pips = self.frontend_of(lb, node, frontends,
                                        lookup(props, "frontendIPConfiguration"), what)
                if pips is None:
                    continue
                frontend = pips[0]
            pool_refs = [lookup(props, "backendAddressPool")] + \
                as_list(lookup(props, "backendAddressPools"))
            used_pools.update(p for p in map(ref_id, pool_refs) if p)
            used_probe = used_probe or ref_id(lookup(props, "probe"))
            protocol = (self.text(lookup(props, "protocol"), f"protocol of {what}", lb) or
                        "tcp").lower()
            rules.append(LbRule(
                name=name, protocol=protocol if protocol in ("tcp", "udp", "all") else "tcp",
                frontend=frontend,
                frontend_port=self.fit(LbRule, "frontend_port", lookup(props, "frontendPort"),
                                       f"frontendPort of {what}", lb),
                backend_port=self.fit(LbRule, "backend_port", lookup(props, "backendPort"),
                                      f"backendPort of {what}", lb),
                idle_timeout_min=self.fit(LbRule, "idle_timeout_min",
                                          lookup(props, "idleTimeoutInMinutes"),
                                          f"idleTimeoutInMinutes of {what}", lb),
                disable_outbound_snat=self.flag(lookup(props, "disableOutboundSnat"),
                                                f"disableOutboundSnat of {what}", lb),
                enable_tcp_reset=self.flag(lookup(props, "enableTcpReset"),
                                           f"enableTcpReset of {what}", lb)))
        return rules, used_pools, used_probe

    def outbound_rules(self, lb: AzureResource, node: str, frontends: dict[str, list[str]],
                       used_pools: set[str]) -> list[OutboundRule]:
        out = []
        for entry in as_list(lb.prop("outboundRules")):
            if not isinstance(entry, dict):
                continue
            name = lookup(entry, "name")
            name = name if isinstance(name, str) and name else f"outbound-{len(out) + 1}"
            props = as_dict(lookup(entry, "properties"))
            what = f"outbound rule {name}"
            ips: list[str] = []
            for ref in as_list(lookup(props, "frontendIPConfigurations")):
                ips += self.frontend_of(lb, node, frontends, ref, what) or []
            pool = ref_id(lookup(props, "backendAddressPool"))
            if pool:
                used_pools.add(pool)
            protocol = (self.text(lookup(props, "protocol"), f"protocol of {what}", lb) or
                        "all").lower()
            out.append(OutboundRule(
                name=name, frontends=tuple(dict.fromkeys(ips)),
                protocol=protocol if protocol in ("tcp", "udp", "all") else "all",
                allocated_ports=self.fit(OutboundRule, "allocated_ports",
                                         lookup(props, "allocatedOutboundPorts"),
                                         f"allocatedOutboundPorts of {what}", lb),
                idle_timeout_min=self.fit(OutboundRule, "idle_timeout_min",
                                          lookup(props, "idleTimeoutInMinutes"),
                                          f"idleTimeoutInMinutes of {what}", lb),
                enable_tcp_reset=self.flag(lookup(props, "enableTcpReset"),
                                           f"enableTcpReset of {what}", lb)))
        return out

    def lb_probe(self, lb: AzureResource, node: str, probes: dict[str, dict],
                 used: str) -> Probe | None:
        if not probes:
            return None
        chosen_id = used if used in probes else next(iter(probes))
        entry = probes[chosen_id]
        if len(probes) > 1:
            self.note("info", "import-simplified",
                      f"load balancer {node} has {len(probes)} probes; the model has one, so "
                      f"the import keeps {lookup(entry, 'name')} (the first rule's)", lb, node)
        props = as_dict(lookup(entry, "properties"))
        what = f"probe {lookup(entry, 'name')}"
        protocol = (self.text(lookup(props, "protocol"), f"protocol of {what}", lb) or
                    "tcp").lower()
        path = self.text(lookup(props, "requestPath"), f"requestPath of {what}", lb)
        threshold = lookup(props, "probeThreshold")
        return Probe(
            protocol=protocol if protocol in ("tcp", "http", "https") else "tcp",
            port=self.fit(Probe, "port", lookup(props, "port"), f"port of {what}", lb),
            path=path or "/",
            interval_s=self.fit(Probe, "interval_s", lookup(props, "intervalInSeconds"),
                                f"intervalInSeconds of {what}", lb),
            count=self.fit(Probe, "count", lookup(props, "numberOfProbes"),
                           f"numberOfProbes of {what}", lb),
            threshold=None if threshold is None else
            self.fit(Probe, "threshold", threshold, f"probeThreshold of {what}", lb, default=1))

    def pool_members_by_address(self, private_ips: dict[str, str]) -> None:
        """IP-based backend pools: members are the VMs with those private addresses."""
        by_ip = {ip: vm for vm, ip in private_ips.items() if ip}
        for lb_node, members in self.ip_pool_members.items():
            missing = []
            for _pool, ip in members:
                vm = by_ip.get(ip)
                if vm:
                    self.link(lb_node, vm, "backend")
                else:
                    missing.append(ip)
            self.note("warning", "import-not-modelled",
                      f"load balancer {lb_node} has an IP-based backend pool; Azure gives its "
                      f"members default outbound access as if they were in no pool (a known "
                      f"issue, M-B2 step 7), which the simulation does not reproduce"
                      + (f"; addresses {', '.join(missing[:5])} match no imported VM"
                         if missing else ""), "", lb_node, rule="M-B2")
