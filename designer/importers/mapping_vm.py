"""VMs and scale sets: one ``vm`` node per NIC-bearing VM, ``capacity`` per scale set.

A VM's primary NIC (the one marked primary, else the first) and that NIC's primary IP
configuration give the VM its subnet, private address, instance public IP, NIC-level NSG and
backend pools. Secondary NICs and secondary IP configurations are noted; one that carries a
public IP changes Azure's outbound behaviour for the whole VM (§1.6), so that is a warning.
"""
from __future__ import annotations

from ..model.values import parse_ipv4
from .arm_expressions import lookup
from .inventory import AzureResource, as_dict, as_list, norm_id, ref_id

VM_TYPE = "microsoft.compute/virtualmachines"
VMSS_TYPE = "microsoft.compute/virtualmachinescalesets"
NIC_TYPE = "microsoft.network/networkinterfaces"
AVSET_TYPE = "microsoft.compute/availabilitysets"
#: a scale set whose capacity cannot be read is imported with this many instances
DEFAULT_CAPACITY = 1


def _primary(entries: list) -> dict | None:
    entries = [e for e in entries if isinstance(e, dict)]
    for entry in entries:
        flag = lookup(as_dict(lookup(entry, "properties")), "primary")
        if flag is True or lookup(entry, "primary") is True:
            return entry
    return entries[0] if entries else None


class ComputeMapping:
    """Mixed into the mapper (``mapping._Mapper``), whose frame it uses."""

    def map_compute(self) -> None:
        #: VMs whose network interface the import cannot tell (one warning for them all)
        self.unplaced_vms: list[AzureResource] = []
        for vm in self.inv.of_type(VM_TYPE):
            self.map_vm(vm)
        self.note_unplaced_vms()
        for vmss in self.inv.of_type(VMSS_TYPE):
            self.map_scale_set(vmss)
        for aset in self.inv.of_type(AVSET_TYPE):
            if norm_id(aset.id) not in self.handled:
                self.skip(aset, "an availability set with no imported VM")
        for nic in self.inv.of_type(NIC_TYPE):
            if norm_id(nic.id) not in self.handled:
                owner = ref_id(nic.prop("virtualMachine"))
                self.skip(nic, f"a NIC of VM {owner.rsplit('/', 1)[-1]}, which is not among "
                               f"the sources" if owner else "a NIC attached to no imported VM")
        self.pool_members_by_address(self.topology.private_ips())

    # ---------------------------------------------------------------- VMs
    def map_vm(self, vm: AzureResource) -> None:
        profile = as_dict(vm.prop("networkProfile"))
        refs = [r for r in as_list(lookup(profile, "networkInterfaces")) if isinstance(r, dict)]
        configs = [c for c in as_list(lookup(profile, "networkInterfaceConfigurations"))
                   if isinstance(c, dict)]
        if not refs and not configs:
            self.handled.add(norm_id(vm.id))
            self.skipped.add(norm_id(vm.id))
            self.unplaced_vms.append(vm)
            return
        group = ref_id(vm.prop("availabilitySet")) or ref_id(vm.prop("virtualMachineScaleSet"))
        if group:
            self.handled.add(group)
        node = self.add("vm", vm.short_name, vm,
                        availability_set=group.rsplit("/", 1)[-1] if group else None,
                        state="stopped" if self.deallocated(vm) else "running")
        if refs:
            primary = _primary(refs)
            nic = self.inv.get(ref_id(primary))
            if nic is None:
                self.note("info", "import-missing", f"VM {node}: its NIC "
                                                    f"{ref_id(primary).rsplit('/', 1)[-1]} is "
                                                    f"not among the sources, so the VM is in no "
                                                    f"subnet", vm, node)
            else:
                self.handled.add(norm_id(nic.id))
                self.attach_nic(node, nic.properties, vm, nic.short_name)
            for other in refs:
                if other is not primary:
                    self.secondary_nic(node, vm, self.inv.get(ref_id(other)), ref_id(other))
        else:  # NICs declared inside the VM (networkInterfaceConfigurations)
            primary = _primary(configs)
            self.attach_nic(node, as_dict(lookup(primary, "properties")), vm,
                            str(lookup(primary, "name")))
            for other in configs:
                if other is not primary:
                    self.secondary_nic(node, vm, None, str(lookup(other, "name")),
                                       as_dict(lookup(other, "properties")))

    def note_unplaced_vms(self) -> None:
        """The VMs missing from the simulation: a warning, not a quiet "skipped" — one for
        them all, saying why when the source gave no properties at all (az resource list)."""
        vms = self.unplaced_vms
        if not vms:
            return
        shown = ", ".join(vm.short_name for vm in vms[:4]) + (
            f" and {len(vms) - 4} more" if len(vms) > 4 else "")
        bare = all(not vm.properties for vm in vms)
        why = (" (the source gives no properties: az resource list only names resources; "
               "import az vm list and az network nic list, a Resource Graph query or the live "
               "resource group)" if bare else "")
        self.note("warning", "import-missing",
                  f"{'VM' if len(vms) == 1 else f'{len(vms)} VMs'} {shown} "
                  f"{'is' if len(vms) == 1 else 'are'} not imported: the import cannot tell "
                  f"which network interface {'it uses' if len(vms) == 1 else 'they use'}"
                  f"{why}, so {'its' if len(vms) == 1 else 'their'} outbound flows are not "
                  f"simulated", vms[0])

    def deallocated(self, vm: AzureResource) -> bool:
        # az vm list -d: powerState; az vm get-instance-view / REST $expand=instanceView:
        # instanceView.statuses; Resource Graph: properties.extended.instanceView.powerState
        state = vm.prop("powerState") or vm.extra.get("powerState")
        statuses = as_list(lookup(as_dict(vm.prop("instanceView")), "statuses"))
        graph = lookup(as_dict(lookup(as_dict(vm.prop("extended")), "instanceView")),
                       "powerState")
        statuses = statuses + [graph] if isinstance(graph, dict) else statuses
        codes = [lookup(s, "code") for s in statuses if isinstance(s, dict)]
        return any(isinstance(c, str) and c.lower() in ("powerstate/deallocated",
                                                          "powerstate/stopped", "vm deallocated",
                                                          "vm stopped")
                   for c in codes + [state])

    def attach_nic(self, node: str, nic: dict, owner: AzureResource, nic_name: str,
                   instance: int | None = None) -> None:
        """Give VM ``node`` what its primary NIC says (``nic`` is the NIC's properties)."""
        configs = as_list(lookup(nic, "ipConfigurations"))
        primary = _primary(configs)
        self.link(self.node_of.get(ref_id(lookup(nic, "networkSecurityGroup"))), node, "nsg")
        if primary is None:
            self.note("info", "import-missing", f"VM {node}: NIC {nic_name} has no IP "
                                                f"configuration, so the VM is in no subnet",
                      owner, node)
            return
        props = as_dict(lookup(primary, "properties"))
        subnet_ref = ref_id(lookup(props, "subnet"))
        subnet = self.node_of.get(subnet_ref)
        if subnet:
            self.link(node, subnet, "in_subnet")
        elif instance in (None, 0):
            self.note("info", "import-missing",
                      f"VM {node}: the subnet of NIC {nic_name} "
                      f"({subnet_ref.rsplit('/', 1)[-1] or 'unknown'}) is not among the "
                      f"sources, so the VM is in no subnet", owner, node)
        address = self.known(lookup(props, "privateIPAddress"), f"private IP of NIC {nic_name}",
                             owner)
        if instance is None and isinstance(address, str) and parse_ipv4(address):
            self.topology.set_property(node, "private_ip", address)
        pips = self.public_ip_nodes(lookup(props, "publicIPAddress"))
        if pips:
            self.link(node, pips[0], "instance_ip")
        config = lookup(props, "publicIPAddressConfiguration")
        if isinstance(config, dict):
            self.instance_public_ip(node, config, owner, instance)
        for ref in as_list(lookup(props, "loadBalancerBackendAddressPools")):
            lb = self.pool_owner.get(ref_id(ref))
            if lb:
                self.link(lb, node, "backend")
            elif instance in (None, 0):
                self.note("info", "import-missing",
                          f"VM {node}: backend pool {ref_id(ref).rsplit('/', 1)[-1]} of NIC "
                          f"{nic_name} belongs to no imported load balancer", owner, node)
        secondary = [c for c in configs if c is not primary and isinstance(c, dict)]
        if secondary and instance in (None, 0):
            with_ip = [str(lookup(c, "name")) for c in secondary
                       if ref_id(lookup(as_dict(lookup(c, "properties")), "publicIPAddress"))]
            self.note("warning" if with_ip else "info", "import-secondary-ip",
                      f"VM {node}: NIC {nic_name} has {len(secondary)} secondary IP "
                      f"configuration(s); Azure gives them no outbound through a load "
                      f"balancer (§1.4) and the model has one IP configuration per VM"
                      + (f"; {', '.join(with_ip)} carry their own public IP, whose outbound "
                         f"flows the simulation does not see" if with_ip else ""),
                      owner, node, rule="§1.4")

    def instance_public_ip(self, node: str, config: dict, owner: AzureResource,
                           instance: int | None) -> None:
        sku = lookup(as_dict(lookup(config, "sku")), "name")
        address = self.assumed_address()
        pip = self.add("public_ip", f"{node}-ip", None, address=address,
                       sku="basic" if isinstance(sku, str) and sku.lower() == "basic"
                       else "standard")
        self.link(node, pip, "instance_ip")
        if instance in (None, 0):
            self.note("info", "import-address-assumed",
                      f"the instance public IPs of {owner.describe()} have no address until "
                      f"deployment; the scenario gives them documentation-range addresses "
                      f"(from {address})", owner, pip)

    def secondary_nic(self, node: str, vm: AzureResource, nic: AzureResource | None,
                      label: str, props: dict | None = None) -> None:
        if nic is not None:
            self.handled.add(norm_id(nic.id))
            props = nic.properties
        name = nic.short_name if nic is not None else label.rsplit("/", 1)[-1]
        configs = as_list(lookup(props or {}, "ipConfigurations"))
        with_ip = any(ref_id(lookup(as_dict(lookup(c, "properties")), "publicIPAddress"))
                      or isinstance(lookup(as_dict(lookup(c, "properties")),
                                           "publicIPAddressConfiguration"), dict)
                      for c in configs if isinstance(c, dict))
        if with_ip:
            self.note("warning", "import-not-modelled",
                      f"VM {node}: secondary NIC {name} has its own public IP; Azure then "
                      f"gives the whole VM no default outbound access and sends that NIC's "
                      f"flows through its public IP (§1.6), but the model has one NIC per VM, "
                      f"so the simulation may give {node} a default outbound path Azure would "
                      f"not", vm, node, rule="§1.6")
        else:
            self.note("info", "import-secondary-nic",
                      f"VM {node}: secondary NIC {name} is not modelled (only the primary NIC "
                      f"gets outbound through a load balancer, §1.4)", vm, node, rule="§1.4")

    # ---------------------------------------------------------------- scale sets
    def map_scale_set(self, vmss: AzureResource) -> None:
        capacity = lookup(vmss.sku, "capacity") if isinstance(vmss.sku, dict) else None
        capacity = self.known(capacity, "capacity", vmss)
        if isinstance(capacity, str) and capacity.isdigit():
            capacity = int(capacity)
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            self.note("warning", "import-unknown-value",
                      f"scale set {vmss.short_name} has no instance count the import can read; "
                      f"it imports {DEFAULT_CAPACITY} instance", vmss)
            capacity = DEFAULT_CAPACITY
        profile = as_dict(lookup(as_dict(vmss.prop("virtualMachineProfile")), "networkProfile"))
        configs = [c for c in as_list(lookup(profile, "networkInterfaceConfigurations"))
                   if isinstance(c, dict)]
        mode = vmss.prop("orchestrationMode")
        flexible = isinstance(mode, str) and mode.lower() == "flexible"
        if not configs:
            if flexible:
                self.handled.add(norm_id(vmss.id))
                self.note("info", "import-scale-set",
                          f"scale set {vmss.short_name} (Flexible) has no instance profile; "
                          f"its VMs are imported as the VMs they are", vmss)
            else:
                self.skip(vmss, "a scale set without a network profile the import can read")
            return
        self.handled.add(norm_id(vmss.id))
        primary = _primary(configs)
        nic = as_dict(lookup(primary, "properties"))
        name = vmss.short_name
        nodes = []
        for index in range(capacity):
            node = self.add("vm", f"{name}-{index}", None, availability_set=name)
            nodes.append(node)
            self.attach_nic(node, nic, vmss, str(lookup(primary, "name")), instance=index)
        if nodes:
            self.node_of[norm_id(vmss.id)] = nodes[0]
        self.note("info", "import-scale-set",
                  f"scale set {name} becomes {capacity} VMs ({nodes[0] if nodes else '-'} "
                  f"… {nodes[-1] if nodes else '-'}), one availability group", vmss,
                  nodes[0] if nodes else None)
        if flexible:
            self.note("warning", "import-not-modelled",
                      f"scale set {name} uses Flexible orchestration, whose instances never "
                      f"get default outbound access (M-B2 step 6); the model does not know "
                      f"orchestration modes, so an instance with no explicit outbound method "
                      f"gets default outbound in the simulation but none in Azure", vmss,
                      nodes[0] if nodes else None, rule="M-B2")
        for other in configs:
            if other is not primary:
                self.secondary_nic(nodes[0] if nodes else name, vmss, None,
                                   str(lookup(other, "name")),
                                   as_dict(lookup(other, "properties")))
