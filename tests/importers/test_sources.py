"""Every fixture imports into a scenario that validates without errors and simulates; the
source-specific shapes (parameters, Terraform modules and instances, CLI and REST resources,
a recorded live subscription) map as they should."""
from __future__ import annotations

import pytest

from designer.importers import ImportFailure, import_resources, import_sources
from designer.importers.azure_live import RecordedReader, SdkReader, parse_spec
from designer.importers.resources import read_resources
from designer.importers.terraform import read_terraform
from designer.model.links import Link

from .helpers import check_scenario, codes, fixture

LIVE = "azure:bbbbbbbb-0000-0000-0000-000000000002/live-rg"


def recorded():
    return RecordedReader.from_file(fixture("azure_recording.json"))


@pytest.mark.parametrize("sources, kw", [
    (["arm_web_tier.json"], {"parameter_files": ["arm_web_tier.parameters.json"]}),
    (["arm_vnet.json", "arm_vms_in_hub.json"], {}),
    (["tf_plan.json"], {}),
    (["tf_state.json"], {}),
    (["resources_cli.json"], {}),
    (["resources_rest.json"], {}),
    (["resource_single.json"], {}),
])
def test_each_fixture_validates_and_simulates(sources, kw):
    files = [str(fixture(s)) for s in sources]
    kw = {k: [str(fixture(v)) for v in vs] for k, vs in kw.items()}
    scenario, summary = import_sources(files, load=2.0, **kw)
    assert scenario.semantics == "modern"
    check_scenario(scenario, simulate_s=20)
    assert summary.sources == [(s, summary.sources[i][1]) for i, s in enumerate(sources)]


def test_live_recording_validates_and_simulates():
    scenario, summary = import_sources([LIVE], azure_reader=recorded(), load=1.0)
    topo = check_scenario(scenario, simulate_s=20).topology
    assert topo.subnet_of("api-1") == "api" and topo.node("api-ip").address == "51.104.7.7"
    assert topo.instance_ip("api-1") == "api-ip"
    skipped = " ".join(n.message for n in summary.skipped)
    assert "api-1-osdisk" in skipped and "live-kv" in skipped and "live-vnet" not in skipped


def test_arm_parameters_file_param_and_missing_parameter():
    web = str(fixture("arm_web_tier.json"))
    scenario, _ = import_sources([web], parameter_files=[str(fixture(
        "arm_web_tier.parameters.json"))])
    assert sorted(scenario.topology.node_ids("vm")) == ["web-1", "web-2", "web-3", "web-4"]
    scenario, _ = import_sources([web], parameters={"adminUsername": "me", "vmCount": "2",
                                                    "PREFIX": "shop"})
    assert sorted(scenario.topology.node_ids("vm")) == ["shop-1", "shop-2"]
    # a string parameter without a value that only the OS profile reads: a note, not a stop
    # (most templates leave their admin user name to the deployer)
    scenario, summary = import_sources([web])
    assert sorted(scenario.topology.node_ids("vm")) == ["web-1", "web-2", "web-3"]
    assert [n.message for n in summary.notes if n.code == "import-parameter-unset"] == [
        "parameter adminUsername has no value (no default, not given): it feeds nothing the "
        "outbound model reads, so the import went on without it"]
    with pytest.raises(ImportFailure, match="vmCont"):
        import_sources([web], parameters={"adminUsername": "me", "vmCont": "2"})
    with pytest.raises(ImportFailure, match="expected an integer"):
        import_sources([web], parameters={"adminUsername": "me", "vmCount": "two"})


def test_arm_web_tier_maps_copy_loops_conditions_children_and_notes():
    scenario, summary = import_sources([str(fixture("arm_web_tier.json"))],
                                       parameters={"adminUsername": "me"})
    topo = scenario.topology
    assert sorted(topo.node_ids("subnet")) == ["app", "data", "frontend"]
    assert topo.nsg_of("app") == "web-nsg" and topo.node("data").default_route == \
        "virtual_appliance"
    assert topo.backend_pool("web-lb") == ["web-1", "web-2", "web-3"]
    assert topo.node("web-2").private_ip == "10.1.2.11"
    assert "bastion" not in topo  # condition false: not deployed
    found = codes(summary)
    assert {"import-skipped", "import-address-assumed", "import-route-table"} <= set(found)
    assert any("inbound NAT" in n.message for n in summary.notes)
    # the outputs' reference() and the VM extension's listKeys() never complain
    assert not any("reference()" in n.message or "listKeys" in n.message for n in summary.notes)


def test_terraform_plan_modules_count_for_each_and_unknown_references():
    scenario, summary = import_sources([str(fixture("tf_plan.json"))])
    topo = scenario.topology
    assert sorted(topo.node_ids("subnet")) == ["web", "workers"]
    assert topo.node("workers").private and topo.nat_gateway_of_subnet("workers") == "tf-nat"
    assert topo.nat_public_ips("tf-nat") == ["nat-ip"] and topo.node("tf-nat").idle_timeout_min == 10
    assert [topo.subnet_of(v) for v in ("web-0", "web-1")] == ["web", "web"]
    assert topo.backend_pool("tf-lb") == ["web-0", "web-1"]
    assert [topo.subnet_of(f"workers-{i}") for i in range(3)] == ["workers"] * 3
    assert topo.nsg_of("web") == "web-nsg"
    lb = topo.node("tf-lb")
    assert lb.rules[0].disable_outbound_snat and lb.rules[0].frontend == "tf-lb-ip"
    assert lb.outbound_rules[0].allocated_ports == 1024 and lb.probe.path == "/"
    assert any("tflogs" in n.message for n in summary.skipped)


def test_terraform_state_real_ids_prefix_route_table_and_ip_based_pool():
    scenario, summary = import_sources([str(fixture("tf_state.json"))])
    topo = scenario.topology
    assert topo.nat_public_ips("egress-nat") == [f"egress-prefix-{i}" for i in range(4)]
    assert topo.node("egress-prefix-0").address == "20.61.12.8"
    assert topo.node("app").default_route == "virtual_appliance"
    assert topo.backend_pool("app-ilb") == ["app-1"] and topo.node("app-ilb").type == "internal"
    assert topo.node("app-ilb").rules[0].enable_tcp_reset
    assert any("IP-based backend pool" in n.message for n in summary.warnings)


def test_cli_shaped_and_rest_shaped_resources():
    scenario, summary = import_sources([str(fixture("resources_cli.json"))])
    topo = scenario.topology
    assert topo.node("shop-lb").sku == "basic" and topo.node("shop-lb-ip").address == "20.71.3.9"
    assert topo.backend_pool("shop-lb") == ["shop-1"] and topo.nsg_of("front") == "front-nsg"
    assert [r.name for r in topo.node("front-nsg").rules] == ["web"]  # the ASG rule: a warning
    assert any("application security group" in n.message for n in summary.warnings)
    scenario, _ = import_sources([str(fixture("resources_rest.json"))])
    topo = scenario.topology
    assert len(topo.node_ids("vm")) == 12 and topo.node("batch").private
    assert topo.node("batch-nat").idle_timeout_min == 120


def test_resource_graph_rows_power_state_and_uppercase_compute_ids():
    """az graph query prints {"count", "data": [...]} with lower-case types, compute ids with
    the resource group in upper case, and a VM's power state under
    properties.extended.instanceView: a deallocated VM is imported stopped."""
    sub = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/"
    net, compute = sub + "hub-rg/providers/Microsoft.Network/", \
        sub + "HUB-RG/providers/Microsoft.Compute/"
    rows = [{"id": net + "virtualNetworks/hub", "type": "microsoft.network/virtualnetworks",
             "name": "hub", "resourceGroup": "hub-rg", "sku": None, "properties": {
                 "addressSpace": {"addressPrefixes": ["10.50.0.0/16"]},
                 "subnets": [{"id": net + "virtualNetworks/hub/subnets/apps", "name": "apps",
                              "properties": {"addressPrefix": "10.50.1.0/24"}}]}}]
    for i, state in enumerate(("running", "deallocated", "stopped")):
        rows.append({"id": net + f"networkInterfaces/app{i}-nic", "name": f"app{i}-nic",
                     "type": "microsoft.network/networkinterfaces", "properties": {
                         "ipConfigurations": [{"name": "ip", "properties": {
                             "subnet": {"id": net + "virtualNetworks/hub/subnets/apps"}}}]}})
        rows.append({"id": compute + f"virtualMachines/app{i}", "name": f"app{i}",
                     "type": "microsoft.compute/virtualmachines", "properties": {
                         "networkProfile": {"networkInterfaces": [
                             {"id": net + f"networkInterfaces/app{i}-nic"}]},
                         "extended": {"instanceView": {"powerState": {
                             "code": f"PowerState/{state}", "displayStatus": f"VM {state}"}}}}})
    scenario, _ = import_resources(read_resources({"count": len(rows), "data": rows,
                                                   "skip_token": None}, "graph.json"))
    t = scenario.topology
    assert {vm: t.node(vm).state for vm in t.node_ids("vm")} == {
        "app0": "running", "app1": "stopped", "app2": "stopped"}
    assert {t.subnet_of(vm) for vm in t.node_ids("vm")} == {"apps"}


def test_sources_merge_a_template_and_a_second_template_for_the_vnet():
    scenario, _ = import_sources([str(fixture("arm_vnet.json")),
                                  str(fixture("arm_vms_in_hub.json"))])
    topo = scenario.topology
    assert topo.vms_in_subnet("apps") == ["app-0", "app-1"] and topo.vnet_of("apps") == "hub"


def test_live_spec_parsing_and_the_sdk_hint():
    assert parse_spec("azure:sub-1/rg-1") == ("sub-1", "rg-1")
    with pytest.raises(ImportFailure, match="azure:SUBSCRIPTION/RESOURCE_GROUP"):
        parse_spec("azure:just-a-subscription")
    try:
        import azure.mgmt.network  # noqa: F401
    except ImportError:
        with pytest.raises(ImportFailure, match=r"outbound-designer\[azure\]"):
            SdkReader("sub-1")


def test_sdk_reader_serializes_what_the_clients_list_and_errors_are_one_line():
    class Item:
        def __init__(self, data):
            self.data = data

        def serialize(self, keep_readonly=False):
            assert keep_readonly  # ids, names and types are read-only properties
            return self.data

    class VirtualNetworks:
        def list(self, group):
            assert group == "live-rg"
            return [Item(i) for i in recorded().recording["network/virtual_networks.list"]]

    class Broken:
        def list(self, group):
            raise RuntimeError("AuthorizationFailed: the client does not have\nauthorization")

    class Network:
        virtual_networks = VirtualNetworks()
        network_security_groups = Broken()

    reader = object.__new__(SdkReader)
    reader.clients = {"network": Network()}
    items = list(reader.list("network", "virtual_networks.list", "live-rg"))
    assert items[0]["name"] == "live-vnet"

    class Partial:
        def list(self, client, operation, group):
            if operation == "virtual_networks.list":
                return reader.list(client, operation, group)
            return reader.list("network", "network_security_groups.list", group)
    with pytest.raises(ImportFailure) as info:
        import_sources([LIVE], azure_reader=Partial())
    assert "AuthorizationFailed" in str(info.value) and "\n" not in str(info.value)


def test_live_progress_is_reported_per_operation():
    steps = []
    import_sources([LIVE], azure_reader=recorded(), progress=lambda i, n, what: steps.append(i))
    assert steps[0] == 0 and steps[-1] == steps[-2] + 1 and len(set(steps)) == len(steps)


def test_terraform_plan_with_module_instances_follows_their_references():
    """A module called with for_each (module.app["web"]) and count inside it: the plan's
    addresses carry instance keys the configuration does not. References through var.X,
    module.network.subnet_ids[each.key] and count.index still find their targets: every VM
    is imported in its subnet, the web ones in the pool (they used to be dropped, all of
    them, as "a VM without a network interface")."""
    scenario, summary = import_sources([str(fixture("tf_plan_module_instances.json"))])
    t = scenario.topology
    assert sorted(t.node_ids("vm")) == ["api-0", "api-1", "api-2", "web-0", "web-1"]
    assert {vm: t.subnet_of(vm) for vm in t.node_ids("vm")} == {
        "web-0": "web", "web-1": "web", "api-0": "api", "api-1": "api", "api-2": "api"}
    assert sorted(t.backend_pool("web-lb")) == ["web-0", "web-1"]
    assert t.has_link(Link("core-nat", "api", "nat"))
    assert not [n for n in summary.notes if n.severity == "warning"]
    check_scenario(scenario)


def test_a_vm_the_import_cannot_place_is_a_warning():
    doc = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "azurerm_linux_virtual_machine.lost", "mode": "managed",
         "type": "azurerm_linux_virtual_machine", "name": "lost",
         "values": {"name": "lost", "resource_group_name": "rg"}}]}}}
    resources, notes = read_terraform(doc, "plan.json")
    scenario, summary = import_resources(resources, notes)
    assert not scenario.topology.node_ids("vm")
    assert [(n.severity, n.code) for n in summary.notes] == [("warning", "import-missing")]
    assert "VM lost is not imported" in summary.notes[0].message


def test_az_resource_list_names_resources_without_wiring_one_warning_says_what_to_import():
    """az resource list gives "properties": null: its VMs cannot be placed. One warning for
    them all (not one per VM), saying which commands give the wiring."""
    sub = "/subscriptions/s/resourceGroups/rg/providers/"
    rows = [{"id": sub + f"Microsoft.Compute/virtualMachines/vm{i}", "name": f"vm{i}",
             "type": "Microsoft.Compute/virtualMachines", "properties": None,
             "provisioningState": "Succeeded", "changedTime": "2025-01-01T00:00:00Z"}
            for i in range(6)]
    _, summary = import_resources(read_resources(rows, "list.json"))
    (warning,) = [n for n in summary.notes if n.severity == "warning"]
    assert warning.code == "import-missing"
    assert "6 VMs vm0, vm1, vm2, vm3 and 2 more are not imported" in warning.message
    assert "az resource list only names resources" in warning.message


def test_a_string_parameter_without_value_is_refused_where_the_model_reads_it(tmp_path):
    from .helpers import template
    doc = template(
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-06-01",
         "name": "[parameters('ipName')]", "location": "westeurope", "sku": {"name": "Standard"},
         "properties": {"publicIPAllocationMethod": "Static",
                        "dnsSettings": {"domainNameLabel": "[parameters('dnsLabel')]"}}},
        parameters={"ipName": {"type": "string",
                               "metadata": {"description": "Name of the public IP"}},
                    "dnsLabel": {"type": "string"}})
    path = tmp_path / "azuredeploy.json"
    path.write_text(__import__("json").dumps(doc))
    with pytest.raises(ImportFailure) as info:
        import_sources([str(path)])
    message = str(info.value)
    assert message.startswith("azuredeploy.json: no value for parameter(s) ipName (Name of the "
                              "public IP), which names a Microsoft.Network/publicIPAddresses")
    assert "--param NAME=VALUE" in message and "dnsLabel" not in message.split(";")[0]
    scenario, summary = import_sources([str(path)], parameters={"ipName": "edge"})
    assert scenario.topology.node_ids("public_ip") == ["edge"]
    assert "parameter dnsLabel has no value" in " ".join(n.message for n in summary.notes)


def test_a_standard_v2_public_ip_is_simulated_as_standard(tmp_path):
    from .helpers import rid, template
    doc = template(
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2024-05-01",
         "name": "nat-ip", "location": "westeurope", "sku": {"name": "StandardV2"},
         "properties": {"publicIPAllocationMethod": "Static"}},
        {"type": "Microsoft.Network/natGateways", "apiVersion": "2024-05-01", "name": "nat",
         "location": "westeurope", "sku": {"name": "StandardV2"},
         "properties": {"publicIpAddresses": [
             {"id": rid("Microsoft.Network/publicIPAddresses", "nat-ip")}]}})
    path = tmp_path / "nat.json"
    path.write_text(__import__("json").dumps(doc))
    scenario, summary = import_sources([str(path)])
    assert scenario.topology.node("nat-ip").sku == "standard"
    assert any(n.code == "import-not-modelled" and "nat-ip has SKU StandardV2" in n.message
               for n in summary.notes)
    check_scenario(scenario)        # a NAT gateway with Standard IPs: no error (M-B2.2)


def test_an_unset_parameter_beside_a_value_known_only_at_deployment(tmp_path):
    """The check of where unset parameters end up reads network properties that may hold
    reference() results (known only at deployment): they are no reason to fail."""
    from .helpers import template
    doc = template(
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-06-01",
         "name": "ip", "location": "westeurope", "sku": {"name": "Standard"},
         "properties": {"publicIPAllocationMethod": "Static", "ddosSettings": {
             "ddosProtectionPlan": {"id": "[reference(resourceId("
                                          "'Microsoft.Network/ddosProtectionPlans', 'plan')).id]"}}}},
        parameters={"adminUsername": {"type": "string"}})
    path = tmp_path / "t.json"
    path.write_text(__import__("json").dumps(doc))
    scenario, summary = import_sources([str(path)])
    assert scenario.topology.node_ids("public_ip") == ["ip"]
    assert "import-parameter-unset" in codes(summary)
