"""Terraform configuration (azurerm provider 4.x) from a :class:`CodePlan`.

One file: the provider requirement, ``variables.tf``-style variables, the resources and the
outputs. Resources refer to each other (``azurerm_subnet.web.id``), never to ids as strings.
The azurerm way of writing a design differs from ARM's, and this follows it: load balancer
pools, probes, rules and outbound rules are resources of their own, NICs join pools and NSGs
through association resources (no ``azurerm_lb_backend_address_pool_address``), a NAT gateway
meets its IPs and subnets through associations, and a pool of identical VMs is one resource
with ``count``.
"""
from __future__ import annotations

from typing import Any

from .hcl import Attr, Block, Comment, Raw, comment_lines, render
from .naming import Symbols, azure_name, terraform_label
from .plan import (DEFAULT_ADMIN_USERNAME, DEFAULT_IMAGE, DEFAULT_OS_DISK_TYPE,
                   DEFAULT_TERRAFORM_LOCATION, DEFAULT_VM_SIZE, IP_CONFIGURATION, CodePlan,
                   LbPlan, VmGroup)
from .azure import azure_prefix

PROVIDER_VERSION = "~> 4.0"
RG = "azurerm_resource_group.main"

_PROTOCOLS = {"tcp": "Tcp", "udp": "Udp", "all": "All", "icmp": "Icmp", "*": "*"}
_PROBES = {"tcp": "Tcp", "http": "Http", "https": "Https"}


def ref(type_: str, label: str, attribute: str = "id", index: str = "") -> Raw:
    return Raw(f"{type_}.{label}{index}.{attribute}")


class _Terraform:
    def __init__(self, p: CodePlan):
        self.p = p
        self.t = p.scenario.topology
        self.labels: dict[str, Symbols] = {}
        self.label: dict[tuple[str, str], str] = {}
        #: what the design sets and the azurerm provider cannot (comments, header, stderr)
        self.gaps: list[str] = []

    def claim(self, type_: str, handle: str, name: str) -> str:
        """The label of resource ``handle`` of ``type_`` (unique per resource type)."""
        symbols = self.labels.setdefault(type_, Symbols(reserved=frozenset({"main"}), sep="_"))
        label = symbols.claim(terraform_label(name))
        self.label[(type_, handle)] = label
        return label

    def of(self, type_: str, handle: str) -> str:
        return self.label[(type_, handle)]

    def located(self, type_: str, handle: str, name: str, azure: str) -> Block:
        block = Block("resource", (type_, self.claim(type_, handle, name)))
        block.attr("name", azure)
        block.attr("location", Raw(f"{RG}.location"))
        block.attr("resource_group_name", Raw(f"{RG}.name"))
        return block

    def comment(self, block: Block, node_id: str) -> Block:
        node = self.t.node(node_id)
        if node.display_name != self.p.names.get(node_id, node.display_name):
            block.items.insert(0, Comment(f"drawn as {node.display_name!r}; renamed to a "
                                          f"valid Azure name"))
        return block

    # ---------------------------------------------------------------- document
    def document(self) -> str:
        p = self.p
        blocks = [self.settings(), Block("provider", ("azurerm",)).block(Block("features"))]
        blocks += self.variables()
        blocks.append(Block("resource", ("azurerm_resource_group", "main"))
                      .attr("name", Raw("var.resource_group_name"))
                      .attr("location", Raw("var.location")))
        blocks += [self.nsg(n) for n in p.nsgs]
        blocks += [self.public_ip(n) for n in p.public_ips]
        for nat in p.nats:
            blocks += self.nat(nat)
        for vnet in p.vnets:
            blocks += self.vnet(vnet)
        for lbp in p.lbs:
            blocks += self.load_balancer(lbp)
        blocks += [self.availability_set(text, name)
                   for text, name in p.availability_sets.items()]
        for group in p.groups:
            blocks += self.vm_group(group)
        blocks += self.outputs()
        body = "\n\n".join(render(b) for b in blocks)   # rendering finds the gaps
        header: list[str] = []
        for line in p.header + [f"Warning: {gap}." for gap in self.gaps] + [terraform_hint(p)]:
            header += comment_lines(line) + ["#"]
        p.messages += [f"warning: {gap}" for gap in self.gaps]
        return "\n".join(header[:-1]) + "\n\n" + body + "\n"

    def settings(self) -> Block:
        providers = Block("required_providers").attr(
            "azurerm", {"source": "hashicorp/azurerm", "version": PROVIDER_VERSION})
        return Block("terraform").attr("required_version", ">= 1.5").block(providers)

    def variables(self) -> list[Block]:
        def variable(name: str, description: str, type_: str, default: Any = None) -> Block:
            block = Block("variable", (name,)).attr("description", description)
            block.attr("type", Raw(type_))
            if default is not None:
                block.attr("default", default)
            return block

        base = self.p.source.removesuffix(".json").removesuffix(".outbound") or \
            self.p.deploy.original.name
        stem = azure_name("resource_group", f"{base.lower()}-rg")
        out = [variable("resource_group_name", "the resource group this creates", "string",
                        stem),
               variable("location", "Azure region of every resource", "string",
                        DEFAULT_TERRAFORM_LOCATION)]
        if self.p.groups:
            out += [
                variable("admin_username", "administrator account of every VM", "string",
                         DEFAULT_ADMIN_USERNAME),
                variable("admin_ssh_public_key", "SSH public key of admin_username on every VM "
                         "(for example the contents of ~/.ssh/id_ed25519.pub); password "
                         "sign-in is off", "string"),
                variable("vm_size", "size of every VM", "string", DEFAULT_VM_SIZE),
                variable("vm_image", "image of every VM (a Linux image: the VMs sign in with "
                         "SSH keys)", "object({\n    publisher = string\n    offer     = "
                         "string\n    sku       = string\n    version   = string\n  })",
                         dict(DEFAULT_IMAGE)),
            ]
        return out

    # ---------------------------------------------------------------- network
    def nsg(self, nsg_id: str) -> Block:
        nsg = self.t.node(nsg_id)
        block = self.located("azurerm_network_security_group", nsg_id, self.p.names[nsg_id],
                             self.p.names[nsg_id])
        if nsg_id in self.p.deploy.added:
            block.items.insert(0, Comment("added for the Standard equivalent: allows what the "
                                          "Basic resources left open inbound"))
        if nsg.flush_connection:
            block.items.append(Comment("flushConnection is set in the design; azurerm has no "
                                       "argument for it: set it on the NSG after deployment"))
            self.gaps.append(f"NSG {self.p.names[nsg_id]} sets flushConnection, which azurerm "
                             f"cannot set: set it after deployment")
        for rule, name in self.p.nsg_rules[nsg_id]:
            r = Block("security_rule").attr("name", name).attr("priority", rule.priority)
            r.attr("direction", rule.direction.capitalize())
            r.attr("access", rule.access.capitalize())
            r.attr("protocol", _PROTOCOLS[rule.protocol])
            r.attr("source_address_prefix", rule.source)
            self.ports(r, "source_port_range", rule.source_port)
            r.attr("destination_address_prefix", rule.destination)
            self.ports(r, "destination_port_range", rule.destination_port)
            block.block(r)
        return self.comment(block, nsg_id)

    @staticmethod
    def ports(block: Block, singular: str, text: str) -> None:
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if len(parts) == 1:
            block.attr(singular, parts[0])
        else:
            block.attr(singular + "s", parts)

    def public_ip(self, pip_id: str) -> Block:
        pip = self.t.node(pip_id)
        block = self.located("azurerm_public_ip", pip_id, self.p.names[pip_id],
                             self.p.names[pip_id])
        block.attr("allocation_method", "Static").attr("sku", pip.sku.capitalize())
        return self.comment(block, pip_id)

    def nat(self, nat_id: str) -> list[Block]:
        nat = self.t.node(nat_id)
        name = self.p.names[nat_id]
        block = self.located("azurerm_nat_gateway", nat_id, name, name)
        block.attr("sku_name", "StandardV2" if nat.sku == "standard_v2" else "Standard")
        block.attr("idle_timeout_in_minutes", nat.idle_timeout_min)
        out = [self.comment(block, nat_id)]
        for pip in self.t.nat_public_ips(nat_id):
            out.append(Block("resource", (
                "azurerm_nat_gateway_public_ip_association",
                self.claim("azurerm_nat_gateway_public_ip_association", f"{nat_id}/{pip}",
                           f"{name}-{self.p.names[pip]}")))
                .attr("nat_gateway_id", ref("azurerm_nat_gateway", self.of("azurerm_nat_gateway",
                                                                           nat_id)))
                .attr("public_ip_address_id", ref("azurerm_public_ip",
                                                  self.of("azurerm_public_ip", pip))))
        return out

    def vnet(self, vnet_id: str) -> list[Block]:
        t, p = self.t, self.p
        name = p.names[vnet_id]
        block = self.located("azurerm_virtual_network", vnet_id, name, name)
        block.attr("address_space", [azure_prefix(c) for c in t.node(vnet_id).address_space])
        out = [self.comment(block, vnet_id)]
        for subnet_id in p.subnets[vnet_id]:
            subnet = t.node(subnet_id)
            label = self.claim("azurerm_subnet", subnet_id, p.names[subnet_id])
            s = Block("resource", ("azurerm_subnet", label)).attr("name", p.names[subnet_id])
            s.attr("resource_group_name", Raw(f"{RG}.name"))
            s.attr("virtual_network_name", ref("azurerm_virtual_network",
                                               self.of("azurerm_virtual_network", vnet_id),
                                               "name"))
            s.attr("address_prefixes", [azure_prefix(subnet.prefix)])
            s.attr("default_outbound_access_enabled", not subnet.private)
            out.append(self.comment(s, subnet_id))
            nsg = t.nsg_of(subnet_id)
            if nsg:
                out.append(Block("resource", (
                    "azurerm_subnet_network_security_group_association",
                    self.claim("azurerm_subnet_network_security_group_association", subnet_id,
                               p.names[subnet_id])))
                    .attr("subnet_id", ref("azurerm_subnet", label))
                    .attr("network_security_group_id", ref(
                        "azurerm_network_security_group",
                        self.of("azurerm_network_security_group", nsg))))
            nat = t.nat_gateway_of_subnet(subnet_id)
            if nat:
                out.append(Block("resource", (
                    "azurerm_subnet_nat_gateway_association",
                    self.claim("azurerm_subnet_nat_gateway_association", subnet_id,
                               p.names[subnet_id])))
                    .attr("subnet_id", ref("azurerm_subnet", label))
                    .attr("nat_gateway_id", ref("azurerm_nat_gateway",
                                                self.of("azurerm_nat_gateway", nat))))
        return out

    def load_balancer(self, lbp: LbPlan) -> list[Block]:
        lb = lbp.lb
        block = self.located("azurerm_lb", lbp.id, lbp.name, lbp.name)
        block.attr("sku", lb.sku.capitalize())
        if self.p.deploy.converted and lbp.id in self.p.deploy.original.topology and \
                self.p.deploy.original.topology.node(lbp.id).sku == "basic":
            block.items.insert(0, Comment("drawn as a Basic load balancer: this is its Standard "
                                          "equivalent"))
        for pip, name in lbp.frontends:
            fe = Block("frontend_ip_configuration").attr("name", name)
            if pip is not None:
                fe.attr("public_ip_address_id",
                        ref("azurerm_public_ip", self.of("azurerm_public_ip", pip)))
            else:
                fe.attr("subnet_id", ref("azurerm_subnet", self.of("azurerm_subnet",
                                                                   lbp.subnet)))
                fe.attr("private_ip_address_allocation", "Dynamic")
            block.block(fe)
        lb_ref = ref("azurerm_lb", self.of("azurerm_lb", lbp.id))
        out = [self.comment(block, lbp.id)]
        pool_label = self.claim("azurerm_lb_backend_address_pool", lbp.id, lbp.name)
        out.append(Block("resource", ("azurerm_lb_backend_address_pool", pool_label))
                   .attr("name", lbp.pool).attr("loadbalancer_id", lb_ref))
        pool_ref = ref("azurerm_lb_backend_address_pool", pool_label)
        probe_ref = None
        if lb.probe is not None:
            probe = lb.probe
            label = self.claim("azurerm_lb_probe", lbp.id, lbp.name)
            b = Block("resource", ("azurerm_lb_probe", label)).attr("name", lbp.probe)
            b.attr("loadbalancer_id", lb_ref).attr("protocol", _PROBES[probe.protocol])
            b.attr("port", probe.port)
            if probe.protocol != "tcp":
                b.attr("request_path", probe.path)
            b.attr("interval_in_seconds", probe.interval_s)
            b.attr("number_of_probes", probe.count)
            if probe.threshold is not None:
                b.attr("probe_threshold", probe.threshold)
            if lb.no_healthy_backends == "all_probed_up":
                b.items.append(Comment("noHealthyBackendsBehavior = AllProbedUp in the design; "
                                       "azurerm has no argument for it: set it after deployment"))
                self.gaps.append(f"load balancer {lbp.name}'s probe has noHealthyBackendsBehavior "
                                 f"AllProbedUp, which azurerm cannot set: set it after deployment")
            out.append(b)
            probe_ref = ref("azurerm_lb_probe", label)
        for rule, name in lbp.rules:
            label = self.claim("azurerm_lb_rule", f"{lbp.id}/{name}", f"{lbp.name}-{name}")
            b = Block("resource", ("azurerm_lb_rule", label)).attr("name", name)
            b.attr("loadbalancer_id", lb_ref)
            b.attr("frontend_ip_configuration_name", lbp.frontend_name(rule.frontend))
            b.attr("protocol", _PROTOCOLS[rule.protocol])
            b.attr("frontend_port", rule.frontend_port).attr("backend_port", rule.backend_port)
            b.attr("backend_address_pool_ids", [pool_ref])
            if probe_ref is not None:
                b.attr("probe_id", probe_ref)
            b.attr("idle_timeout_in_minutes", rule.idle_timeout_min)
            b.attr("tcp_reset_enabled", rule.enable_tcp_reset)
            b.attr("disable_outbound_snat", rule.disable_outbound_snat)
            out.append(b)
        for rule, fronts in lbp.outbound_rules:
            label = self.claim("azurerm_lb_outbound_rule", f"{lbp.id}/{rule.name}",
                               f"{lbp.name}-{rule.name}")
            b = Block("resource", ("azurerm_lb_outbound_rule", label)).attr("name", rule.name)
            b.attr("loadbalancer_id", lb_ref).attr("protocol", _PROTOCOLS[rule.protocol])
            b.attr("backend_address_pool_id", pool_ref)
            b.attr("allocated_outbound_ports", rule.allocated_ports)
            b.attr("idle_timeout_in_minutes", rule.idle_timeout_min)
            b.attr("tcp_reset_enabled", rule.enable_tcp_reset)
            for name in fronts:
                b.block(Block("frontend_ip_configuration").attr("name", name))
            out.append(b)
        return out

    # ---------------------------------------------------------------- compute
    def availability_set(self, text: str, name: str) -> Block:
        block = self.located("azurerm_availability_set", text, name, name)
        return (block.attr("platform_fault_domain_count", 2)
                .attr("platform_update_domain_count", 5).attr("managed", True))

    def vm_group(self, g: VmGroup) -> list[Block]:
        """A VM (or a pool of identical VMs, with ``count``): its NIC, the NIC's associations
        with backend pools and an NSG, and the VM."""
        p = self.p
        loop = g.loop
        index = "[count.index]" if loop else ""

        def name(suffix: str = "") -> Any:
            if loop is None:
                return g.names[0] + suffix
            n = f"count.index + {loop.start}" if loop.start else "count.index"
            return Raw(f'"{loop.prefix}${{{n}}}{suffix}"')

        def resource(type_: str, handle: str, label_from: str, located: bool = False) -> Block:
            if located:
                block = self.located(type_, handle, label_from, "")
                block.items[0] = Attr("name", name("-nic" if "interface" in type_ else ""))
            else:
                block = Block("resource", (type_, self.claim(type_, handle, label_from)))
            if loop:
                block.items[:0] = [Attr("count", loop.count), None]
            return block

        handle = g.vms[0]
        nic = resource("azurerm_network_interface", handle, g.symbol_name, located=True)
        ip = Block("ip_configuration").attr("name", IP_CONFIGURATION)
        ip.attr("subnet_id", ref("azurerm_subnet", self.of("azurerm_subnet", g.subnet)))
        ip.attr("private_ip_address_allocation", "Static" if g.private_ip else "Dynamic")
        if g.private_ip:
            ip.attr("private_ip_address", g.private_ip)
        if g.public_ip:
            ip.attr("public_ip_address_id",
                    ref("azurerm_public_ip", self.of("azurerm_public_ip", g.public_ip)))
        nic.block(ip)
        nic_ref = ref("azurerm_network_interface",
                      self.of("azurerm_network_interface", handle), index=index)
        out = [nic]
        for lb_id in g.lbs:
            lbp = next(lb for lb in p.lbs if lb.id == lb_id)
            b = resource("azurerm_network_interface_backend_address_pool_association",
                         f"{handle}/{lb_id}", f"{g.symbol_name}-{lbp.name}")
            b.attr("network_interface_id", nic_ref)
            b.attr("ip_configuration_name", IP_CONFIGURATION)
            b.attr("backend_address_pool_id", ref("azurerm_lb_backend_address_pool",
                                                  self.of("azurerm_lb_backend_address_pool",
                                                          lb_id)))
            out.append(b)
        if g.nsg:
            b = resource("azurerm_network_interface_security_group_association", handle,
                         g.symbol_name)
            b.attr("network_interface_id", nic_ref)
            b.attr("network_security_group_id", ref("azurerm_network_security_group",
                                                    self.of("azurerm_network_security_group",
                                                            g.nsg)))
            out.append(b)
        vm = resource("azurerm_linux_virtual_machine", handle, g.symbol_name, located=True)
        if loop:
            vm.items.insert(0, Comment(f"{loop.count} identical VMs: {g.names[0]} "
                                       f"{'and' if loop.count == 2 else 'to'} {g.names[-1]}"))
        else:
            self.comment(vm, handle)
        vm.attr("size", Raw("var.vm_size")).attr("admin_username", Raw("var.admin_username"))
        vm.attr("network_interface_ids", [nic_ref])
        if g.availability_set:
            vm.attr("availability_set_id", ref("azurerm_availability_set",
                                               self.of("azurerm_availability_set",
                                                       g.availability_set)))
        vm.block(Block("admin_ssh_key").attr("username", Raw("var.admin_username"))
                 .attr("public_key", Raw("var.admin_ssh_public_key")))
        vm.block(Block("os_disk").attr("caching", "ReadWrite")
                 .attr("storage_account_type", DEFAULT_OS_DISK_TYPE))
        image = Block("source_image_reference")
        for part in ("publisher", "offer", "sku", "version"):
            image.attr(part, Raw(f"var.vm_image.{part}"))
        vm.block(image)
        out.append(vm)
        return out

    def outputs(self) -> list[Block]:
        out = []
        for pip in self.p.public_ips:
            name = self.p.names[pip]
            out.append(Block("output", (terraform_label(f"{name}-address"),))
                       .attr("description", f"the address Azure assigned to public IP {name}")
                       .attr("value", ref("azurerm_public_ip", self.of("azurerm_public_ip", pip),
                                          "ip_address")))
        return out


def terraform_hint(p: CodePlan) -> str:
    key = ' -var admin_ssh_public_key="$(cat ~/.ssh/id_ed25519.pub)"' if p.groups else ""
    return ("Deploy: export ARM_SUBSCRIPTION_ID=...; terraform init; terraform plan -out "
            f"design.tfplan{key}; terraform apply design.tfplan")


def terraform_text(p: CodePlan) -> str:
    return _Terraform(p).document()
