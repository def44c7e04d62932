"""Each mapping rule of docs/import.md, on a small template through the library call
``import_arm``: what the Azure resource becomes in the scenario."""
from __future__ import annotations

import pytest

from designer.importers import import_arm
from designer.model.links import Link

from .helpers import check_scenario, codes, rid, template

VNET = "Microsoft.Network/virtualNetworks"
SUBNET = VNET + "/subnets"
PIP = "Microsoft.Network/publicIPAddresses"
NIC = "Microsoft.Network/networkInterfaces"
LB = "Microsoft.Network/loadBalancers"
NSG = "Microsoft.Network/networkSecurityGroups"


def vnet(name="vnet", subnets=(("web", "10.0.1.0/24", {}),), space="10.0.0.0/16"):
    return {"type": VNET, "name": name, "properties": {
        "addressSpace": {"addressPrefixes": [space]},
        "subnets": [{"name": n, "properties": {"addressPrefix": p, **extra}}
                    for n, p, extra in subnets]}}


def nic(name, subnet="web", vnet_name="vnet", **ipconfig):
    return {"type": NIC, "name": name, "properties": {"ipConfigurations": [
        {"name": "ip", "properties": {"subnet": {"id": rid(SUBNET, vnet_name, subnet)},
                                      **ipconfig}}]}}


def vm(name, *nics):
    return {"type": "Microsoft.Compute/virtualMachines", "name": name, "properties": {
        "networkProfile": {"networkInterfaces": [{"id": rid(NIC, n)} for n in nics]}}}


def pip(name, sku="Standard", **props):
    return {"type": PIP, "name": name, "sku": {"name": sku}, "properties": props}


def run(*resources, **kw):
    scenario, summary = import_arm(template(*resources, **kw))
    check_scenario(scenario)
    return scenario.topology, summary


def test_vnet_and_subnet_prefix_and_private_subnet():
    topo, _ = run(vnet(subnets=(("web", "10.0.1.0/24", {}),
                                ("jobs", "10.0.2.0/24", {"defaultOutboundAccess": False}))))
    assert topo.node("vnet").address_space == ("10.0.0.0/16",)
    assert topo.node("web").prefix == "10.0.1.0/24" and not topo.node("web").private
    assert topo.node("jobs").private is True
    assert topo.vnet_of("web") == "vnet" and topo.vnet_of("jobs") == "vnet"


def test_subnet_declared_in_the_vnet_and_as_a_child_resource_is_one_subnet():
    child = {"type": "subnets", "name": "web", "properties": {"addressPrefix": "10.0.1.0/24",
                                                              "defaultOutboundAccess": False}}
    parent = vnet()
    parent["resources"] = [child]
    topo, _ = run(parent, {"type": SUBNET, "name": "vnet/extra",
                           "properties": {"addressPrefix": "10.0.9.0/24"}})
    assert sorted(topo.node_ids("subnet")) == ["extra", "web"]
    assert topo.node("web").private is True  # the child's properties joined the VNet's subnet


def test_same_subnet_name_in_two_vnets_gets_vnet_qualified_ids():
    topo, _ = run(vnet("a", space="10.1.0.0/16", subnets=(("default", "10.1.0.0/24", {}),)),
                  vnet("b", space="10.2.0.0/16", subnets=(("default", "10.2.0.0/24", {}),)))
    assert sorted(topo.node_ids("subnet")) == ["a-default", "b-default"]


def test_vm_primary_nic_gives_subnet_private_ip_instance_ip_and_nsg():
    topo, _ = run(vnet(), pip("web-ip", ipAddress="52.1.2.3"),
                  {"type": NSG, "name": "nic-nsg", "properties": {"securityRules": []}},
                  {**nic("web-nic", privateIPAddress="10.0.1.10",
                         publicIPAddress={"id": rid(PIP, "web-ip")}),
                   },
                  vm("app", "web-nic"))
    assert topo.subnet_of("app") == "web"
    assert topo.node("app").private_ip == "10.0.1.10"
    assert topo.instance_ip("app") == "web-ip" and topo.node("web-ip").address == "52.1.2.3"


def test_names_that_collide_across_kinds_get_a_kind_suffix():
    topo, _ = run(vnet(), nic("web-nic"), vm("web", "web-nic"))
    assert topo.node("web").KIND == "subnet" and topo.node("web-vm").KIND == "vm"
    assert topo.node("web-vm").display_name == "web"


def test_nic_level_nsg_links_to_the_vm_subnet_level_nsg_to_the_subnet():
    nsg = {"type": NSG, "name": "nsg", "properties": {"securityRules": []}}
    sub_nsg = {"type": NSG, "name": "sub-nsg", "properties": {}}
    network = vnet(subnets=(("web", "10.0.1.0/24",
                             {"networkSecurityGroup": {"id": rid(NSG, "sub-nsg")}}),))
    card = nic("n1")
    card["properties"]["networkSecurityGroup"] = {"id": rid(NSG, "nsg")}
    topo, _ = run(network, nsg, sub_nsg, card, vm("vm1", "n1"))
    assert topo.nsgs_of_vm("vm1") == ("nsg", "sub-nsg")


def test_nsg_rules_are_mapped_with_ports_lists_and_service_tags():
    rules = [{"name": "in", "properties": {
        "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
        "sourceAddressPrefix": "Internet", "sourcePortRange": "*",
        "destinationAddressPrefix": "10.0.1.0/24", "destinationPortRanges": ["80", "443"]}},
        {"name": "out", "properties": {
            "priority": 4000, "direction": "Outbound", "access": "Deny", "protocol": "*",
            "sourceAddressPrefix": "*", "destinationAddressPrefix": "Internet",
            "destinationPortRange": "25"}}]
    topo, _ = run({"type": NSG, "name": "nsg", "properties": {"securityRules": rules}})
    first, second = topo.node("nsg").rules
    assert (first.direction, first.access, first.protocol, first.source,
            first.destination_port) == ("inbound", "allow", "tcp", "Internet", "80,443")
    assert (second.priority, second.access, second.protocol, second.destination) == \
        (4000, "deny", "*", "Internet")


def test_nsg_rule_the_model_cannot_express_is_a_warning_not_dropped_silently():
    rules = [{"name": "storage", "properties": {
        "priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "*",
        "sourceAddressPrefix": "*", "destinationAddressPrefix": "Storage.WestEurope"}}]
    topo, summary = run({"type": NSG, "name": "nsg", "properties": {"securityRules": rules}})
    assert topo.node("nsg").rules == ()
    warning = summary.warnings[0]
    assert "Storage.WestEurope" in warning.message and warning.node == "nsg"


def lb_template(sku="Standard", *, outbound=True, disable_snat=True):
    lb_id = f"[resourceId('{LB}', 'lb')]"
    fe = f"[concat(resourceId('{LB}', 'lb'), '/frontendIPConfigurations/fe')]"
    pool = f"[concat(resourceId('{LB}', 'lb'), '/backendAddressPools/pool')]"
    props = {
        "frontendIPConfigurations": [{"name": "fe", "properties": {
            "publicIPAddress": {"id": rid(PIP, "lb-ip")}}}],
        "backendAddressPools": [{"name": "pool"}],
        "loadBalancingRules": [{"name": "http", "properties": {
            "frontendIPConfiguration": {"id": fe}, "backendAddressPool": {"id": pool},
            "probe": {"id": f"[concat(resourceId('{LB}', 'lb'), '/probes/p')]"},
            "protocol": "Tcp", "frontendPort": 80, "backendPort": 8080,
            "idleTimeoutInMinutes": 10, "enableTcpReset": True,
            "disableOutboundSnat": disable_snat}}],
        "probes": [{"name": "p", "properties": {"protocol": "Https", "port": 8443,
                                                "requestPath": "/h", "intervalInSeconds": 5,
                                                "probeThreshold": 3}}]}
    if outbound:
        props["outboundRules"] = [{"name": "out", "properties": {
            "frontendIPConfigurations": [{"id": fe}], "backendAddressPool": {"id": pool},
            "protocol": "Tcp", "allocatedOutboundPorts": 2048, "idleTimeoutInMinutes": 60,
            "enableTcpReset": True}}]
    return [pip("lb-ip", sku), {"type": LB, "name": "lb", "sku": {"name": sku},
                                "properties": props},
            vnet(), nic("n1", loadBalancerBackendAddressPools=[{"id": pool}]), vm("vm1", "n1")]


def test_load_balancer_sku_type_frontend_rules_outbound_rules_and_probe():
    topo, _ = run(*lb_template())
    lb = topo.node("lb")
    assert (lb.sku, lb.type) == ("standard", "public")
    assert topo.frontends("lb") == ["lb-ip"] and topo.backend_pool("lb") == ["vm1"]
    (rule,) = lb.rules
    assert (rule.frontend, rule.frontend_port, rule.backend_port, rule.idle_timeout_min,
            rule.enable_tcp_reset, rule.disable_outbound_snat) == ("lb-ip", 80, 8080, 10, True,
                                                                   True)
    (out,) = lb.outbound_rules
    assert (out.frontends, out.protocol, out.allocated_ports, out.idle_timeout_min,
            out.enable_tcp_reset) == (("lb-ip",), "tcp", 2048, 60, True)
    assert (lb.probe.protocol, lb.probe.port, lb.probe.path, lb.probe.interval_s,
            lb.probe.threshold) == ("https", 8443, "/h", 5, 3)


def test_inbound_nat_rules_on_an_outbound_frontend_are_a_warning_with_their_port_blocks():
    """M-B3: on a frontend that carries an outbound rule with a set allocation, each distinct
    8-port block of inbound NAT frontend ports takes 8 SNAT ports the model does not subtract
    (the LB rule's own block on port 80 it does): 50000-50119 is 15 blocks, 80-81 none new."""
    fe = f"[concat(resourceId('{LB}', 'lb'), '/frontendIPConfigurations/fe')]"
    resources = lb_template()
    props = resources[1]["properties"]
    props["inboundNatPools"] = [{"name": "ssh", "properties": {
        "frontendIPConfiguration": {"id": fe}, "protocol": "Tcp",
        "frontendPortRangeStart": 50000, "frontendPortRangeEnd": 50119, "backendPort": 22}}]
    props["inboundNatRules"] = [{"name": "admin", "properties": {
        "frontendIPConfiguration": {"id": fe}, "protocol": "Tcp", "frontendPort": 81,
        "backendPort": 22}}]
    _, summary = run(*resources)
    (warning,) = [n for n in summary.notes if "inbound NAT" in n.message]
    assert warning.severity == "warning" and warning.rule == "M-B3"
    assert "15 8-port block(s) (120 ports) on frontend fe" in warning.message
    # with the default allocation (no outbound rule) they cannot matter: a note, not a warning
    resources = lb_template(outbound=False, disable_snat=False)
    resources[1]["properties"]["inboundNatPools"] = props["inboundNatPools"]
    _, summary = run(*resources)
    (note,) = [n for n in summary.notes if "inbound NAT" in n.message]
    assert note.severity == "info" and "15 8-port block(s)" in note.message


def test_basic_load_balancer_and_internal_load_balancer():
    resources = lb_template("Basic", outbound=False, disable_snat=False)
    lb_props = resources[1]["properties"]
    lb_props["loadBalancingRules"][0]["properties"]["enableTcpReset"] = False
    lb_props["probes"][0]["properties"]["protocol"] = "Http"  # Basic has no HTTPS probe
    topo, _ = run(*resources)
    assert topo.node("lb").sku == "basic" and topo.node("lb-ip").sku == "basic"
    internal = {"type": LB, "name": "ilb", "sku": {"name": "Standard"}, "properties": {
        "frontendIPConfigurations": [{"name": "fe", "properties": {
            "subnet": {"id": rid(SUBNET, "vnet", "web")}, "privateIPAddress": "10.0.1.100"}}]}}
    topo, _ = run(vnet(), internal)
    assert topo.node("ilb").type == "internal"


def test_values_outside_the_model_range_are_clamped_with_a_warning():
    resources = lb_template()
    resources[1]["properties"]["loadBalancingRules"][0]["properties"]["idleTimeoutInMinutes"] = 500
    topo, summary = run(*resources)
    assert topo.node("lb").rules[0].idle_timeout_min == 100
    assert any("500" in n.message and n.code == "import-out-of-range" for n in summary.warnings)


def test_public_ip_without_an_address_gets_a_documentation_address_marked_as_such():
    topo, summary = run(pip("a"), pip("b", ipAddress="20.1.1.1"))
    assert topo.node("a").address == "192.0.2.1" and topo.node("b").address == "20.1.1.1"
    note = next(n for n in summary.notes if n.code == "import-address-assumed")
    assert note.node == "a" and "documentation range" in note.message


def test_public_ip_prefix_on_a_nat_gateway_becomes_its_addresses():
    prefix = {"type": "Microsoft.Network/publicIPPrefixes", "name": "pfx",
              "sku": {"name": "Standard"}, "properties": {"prefixLength": 30}}
    nat = {"type": "Microsoft.Network/natGateways", "name": "nat", "sku": {"name": "Standard"},
           "properties": {"idleTimeoutInMinutes": 10, "publicIpPrefixes": [
               {"id": rid("Microsoft.Network/publicIPPrefixes", "pfx")}]}}
    network = vnet(subnets=(("web", "10.0.1.0/24", {"natGateway": {
        "id": rid("Microsoft.Network/natGateways", "nat")}}),))
    topo, _ = run(prefix, nat, network)
    assert topo.nat_public_ips("nat") == ["pfx-0", "pfx-1", "pfx-2", "pfx-3"]
    assert topo.nat_subnets("nat") == ["web"] and topo.node("nat").idle_timeout_min == 10


def test_scale_set_expands_to_capacity_instances_with_pool_and_instance_ips():
    resources = lb_template()
    pool = f"[concat(resourceId('{LB}', 'lb'), '/backendAddressPools/pool')]"
    vmss = {"type": "Microsoft.Compute/virtualMachineScaleSets", "name": "ss",
            "sku": {"name": "Standard_B1s", "capacity": 4}, "properties": {
                "virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [
                    {"name": "nic", "properties": {"primary": True, "ipConfigurations": [
                        {"name": "ip", "properties": {
                            "subnet": {"id": rid(SUBNET, "vnet", "web")},
                            "loadBalancerBackendAddressPools": [{"id": pool}],
                            "publicIPAddressConfiguration": {"name": "pub"}}}]}}]}}}}
    topo, summary = run(*resources, vmss)
    instances = [f"ss-{i}" for i in range(4)]
    assert all(i in topo.backend_pool("lb") for i in instances)
    assert {topo.node(i).availability_set for i in instances} == {"ss"}
    assert all(topo.instance_ip(i) for i in instances)
    assert "import-scale-set" in codes(summary)


def test_route_table_default_route_to_an_appliance_sets_the_subnet_default_route():
    table = {"type": "Microsoft.Network/routeTables", "name": "rt", "properties": {"routes": [
        {"name": "d", "properties": {"addressPrefix": "0.0.0.0/0",
                                     "nextHopType": "VirtualAppliance"}}]}}
    network = vnet(subnets=(("web", "10.0.1.0/24", {"routeTable": {
        "id": rid("Microsoft.Network/routeTables", "rt")}}),))
    scenario, summary = import_arm(template(table, network))
    assert scenario.topology.node("web").default_route == "virtual_appliance"
    from designer.model.validation import validate
    assert "udr-not-modelled" in [f.code for f in validate(scenario)]


def test_secondary_nic_with_a_public_ip_is_a_warning_saying_what_goes_wrong():
    topo, summary = run(vnet(), pip("admin-ip"), nic("main"),
                        nic("admin", publicIPAddress={"id": rid(PIP, "admin-ip")}),
                        vm("vm1", "main", "admin"))
    warning = next(n for n in summary.warnings if "secondary NIC" in n.message)
    assert warning.node == "vm1" and "default outbound" in warning.message
    assert topo.instance_ip("vm1") is None


def test_everything_else_is_listed_once_with_its_id_and_why():
    topo, summary = run(vnet(), {"type": "Microsoft.Network/bastionHosts", "name": "b"},
                        {"type": "Microsoft.Web/sites", "name": "app",
                         "properties": {"x": "[notAFunctionWeEvaluate()]"}})
    skipped = {n.message.split(" not imported")[0]: n for n in summary.skipped}
    assert set(skipped) == {"Microsoft.Network/bastionHosts b", "Microsoft.Web/sites app"}
    assert all("/providers/" in n.message for n in skipped.values())


def test_reference_where_it_matters_is_reported_and_where_it_does_not_is_not():
    card = nic("n1")
    card["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] = \
        "[reference('x').ip]"
    machine = vm("vm1", "n1")
    machine["properties"]["diagnosticsProfile"] = {"bootDiagnostics": {
        "storageUri": "[reference('st').primaryEndpoints.blob]"}}
    _, summary = run(vnet(), card, machine)
    (warning,) = summary.warnings
    assert "private IP" in warning.message and "reference()" in warning.message


@pytest.mark.parametrize("rate", [5.0])
def test_load_attaches_a_generator_per_pool_and_one_for_the_other_vms(rate):
    scenario, _ = import_arm(template(*lb_template(), nic("n2"), vm("solo", "n2")), load=rate)
    topo = check_scenario(scenario, simulate_s=30).topology
    gens = {g.id: g for g in topo.nodes("traffic_generator")}
    assert set(gens) == {"load-lb", "load-vms"} and gens["load-lb"].rate_per_s == rate
    assert topo.has_link(Link("load-lb", "lb", "source"))
    assert topo.generator_sources("load-vms") == ["solo"]


def test_a_public_ip_only_a_skipped_resource_uses_is_listed_with_its_owner_not_drawn():
    """Bastion is not modelled; its public IP used to stand in the diagram as a free address.
    It is listed with its owner; a public IP nobody uses stays (it is the user's)."""
    bastion = {"type": "Microsoft.Network/bastionHosts", "name": "jump", "properties": {
        "ipConfigurations": [{"name": "ip", "properties": {
            "publicIPAddress": {"id": rid(PIP, "jump-ip")},
            "subnet": {"id": rid(SUBNET, "vnet", "AzureBastionSubnet")}}}]}}
    topo, summary = run(vnet(subnets=(("AzureBastionSubnet", "10.0.9.0/26", {}),)),
                        pip("jump-ip"), pip("spare"), bastion)
    assert topo.node_ids("public_ip") == ["spare"]
    note = next(n for n in summary.notes if "jump-ip" in n.message)
    assert note.code == "import-skipped" and "Microsoft.Network/bastionHosts jump" in note.message
    assert not [n for n in summary.notes if n.node == "jump-ip"]
