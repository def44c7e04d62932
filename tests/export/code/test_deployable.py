"""The deployable scenario: implied containers made explicit, and a Basic design converted to
its Standard equivalent that keeps each VM's outbound ports and what was open inbound."""
import pytest

from designer.export.code.deployable import deployable
from designer.model import dumps, loads
from designer.model.validation import validate
from designer.sim.report import simulate

CLASSIC = ["01-standalone-vm.outbound.json", "02-load-balanced-vm.outbound.json",
           "03-instance-public-ip.outbound.json", "04-lb-without-rule.outbound.json",
           "05-nsg-blocks-internet.outbound.json", "06-nsg-blocks-probe.outbound.json",
           "07-lb-two-frontends.outbound.json", "08-pool-of-60.outbound.json",
           "09-whatismyip.outbound.json"]


def _outcome(report, vm):
    e = report["vms"][vm]
    return (e["snat_ports_allocated"], e["flows"], e.get("inbound"), e["probe"])


def test_every_example_deploys_what_it_simulates(examples):
    """The deployable scenario simulates like the drawing, VM by VM: the same ports allocated,
    the same flow counts (succeeded, failed for want of a port, denied, without a route), the
    same inbound flows and probe states. Only where Azure cannot do what Basic did does the
    path differ (example 04: Standard pool members lose default SNAT, M-B2.6, so the outbound
    rule that replaces it translates to the frontend instead of an address Azure picks)."""
    for name, scenario in examples.items():
        d = deployable(scenario)
        assert not [f for f in validate(d.scenario) if f.severity == "error"], name
        before, after = simulate(scenario), simulate(d.scenario)
        assert set(before["vms"]) == set(after["vms"]), name
        for vm in before["vms"]:
            assert _outcome(before, vm) == _outcome(after, vm), (name, vm)
            kinds = (before["vms"][vm]["outbound"], after["vms"][vm]["outbound"])
            assert kinds[0] == kinds[1] or (name.startswith("04") and kinds == (
                "default", "load_balancer")), (name, vm, kinds)
        assert before["generators"] == after["generators"], name


@pytest.mark.parametrize("name", CLASSIC)
def test_classic_examples_become_standard(examples, name):
    d = deployable(examples[name])
    s = d.scenario
    assert d.converted and s.semantics == "modern"
    assert all(lb.sku == "standard" for lb in s.topology.nodes("load_balancer"))
    assert all(pip.sku == "standard" for pip in s.topology.nodes("public_ip"))
    assert d.notes[0].startswith("Azure retired Basic load balancers")
    assert examples[name].semantics == "classic"   # the original is untouched


def test_the_outbound_rule_gives_each_vm_the_ports_it_had(examples):
    """M-A5: a Basic pool of 60 gave 512 ports per VM; the Standard equivalent's outbound rule
    allocates exactly that (a multiple of 8, 60 x 512 = 30,720 <= 63,992 of one frontend with
    one rule's 8-port block, M-B3/M-B5), through the frontend, for TCP and UDP (M-A7), and the
    load-balancing rule stops programming SNAT (M-B5)."""
    d = deployable(examples["08-pool-of-60.outbound.json"])
    lb = d.scenario.topology.node("lb")
    (rule,) = lb.outbound_rules
    assert (rule.frontends, rule.protocol, rule.allocated_ports) == (("lb-ip",), "all", 512)
    assert all(r.disable_outbound_snat for r in lb.rules)
    assert lb.probe.threshold == lb.probe.count == 2    # M-B12: same number of results
    assert "512 SNAT ports it had" in " ".join(d.notes)


def test_the_frontend_the_basic_load_balancer_used_is_kept(examples):
    """M-A4: of two frontends a Basic LB used one for outbound; the outbound rule uses it."""
    d = deployable(examples["07-lb-two-frontends.outbound.json"])
    report = simulate(examples["07-lb-two-frontends.outbound.json"])
    used = report["vms"]["web-1"]["public_ip"]
    (rule,) = d.scenario.topology.node("lb").outbound_rules
    assert d.scenario.topology.node(rule.frontends[0]).address == used


def test_nsgs_open_what_basic_left_open(examples):
    """M-B1: Standard frontends and public IPs are closed inbound until an NSG allows. A VM
    with no NSG gets one on its NIC allowing its LB rules' backend ports (and everything, for
    a Basic instance IP); a VM that had an NSG keeps exactly that NSG."""
    d = deployable(examples["06-nsg-blocks-probe.outbound.json"])
    t = d.scenario.topology
    nsg = t.node(t.nsg_of("web-1"))
    assert [(r.direction, r.access, r.protocol, r.source, r.destination_port, r.priority)
            for r in nsg.rules] == [("inbound", "allow", "tcp", "Internet", "80", 100)]
    assert t.nsg_of("web-2") == "web-2-nsg" and t.node("web-2-nsg") == \
        examples["06-nsg-blocks-probe.outbound.json"].topology.node("web-2-nsg")
    d = deployable(examples["09-whatismyip.outbound.json"])
    edge = d.scenario.topology.node(d.scenario.topology.nsg_of("edge-1"))
    assert [(r.protocol, r.destination_port) for r in edge.rules] == [("*", "*")]
    assert any("narrow it" in w for w in d.warnings)
    assert d.scenario.topology.nsg_of("solo-1") is None   # nothing was open to it


def test_implied_subnet_and_vnet_become_explicit(examples):
    d = deployable(examples["11-outbound-rule.outbound.json"])
    t = d.scenario.topology
    assert not d.converted and d.added == ["default", "vnet"]
    assert t.node("default").prefix == "10.255.0.0/16"
    assert {t.subnet_of(vm) for vm in t.node_ids("vm")} == {"default"}
    assert t.vnet_of("default") == "vnet" and t.node("vnet").address_space == ("10.255.0.0/16",)
    assert deployable(examples["demo.outbound.json"]).added == []


SCENARIO = """{"format": "outbound-designer", "version": 1, "semantics": "modern",
  "nodes": [
    {"id": "db-1", "kind": "vm"},
    {"id": "db-2", "kind": "vm"},
    {"id": "ilb", "kind": "load_balancer", "sku": "basic", "type": "internal"},
    {"id": "orphan", "kind": "subnet", "prefix": "10.9.0.0/24"},
    {"id": "nsg", "kind": "nsg", "rules": [{"name": "in", "source": "INTERNET",
      "destination": "VIRTUAL_NETWORK", "destination_port": "80"}]}],
  "links": [{"from": "ilb", "to": "db-1", "kind": "backend"},
            {"from": "ilb", "to": "db-2", "kind": "backend"}]}"""


def test_internal_basic_members_lose_default_outbound_and_are_warned():
    """An internal Basic LB left its members default SNAT (M-A2 scenario 3, §1.4); as members
    of a Standard internal LB they have none (M-B2.7): a warning, never a silent change."""
    d = deployable(loads(SCENARIO))
    assert any("db-1, db-2" in w and "no outbound access" in w and "NAT gateway" in w
               for w in d.warnings)
    rules = d.scenario.topology.node("nsg").rules
    assert (rules[0].source, rules[0].destination) == ("Internet", "VirtualNetwork")
    t = d.scenario.topology
    assert t.vnet_of("orphan") == "vnet" and t.subnet_of("db-1") == "default"
    assert set(t.node("vnet").address_space) == {"10.9.0.0/24", "10.255.0.0/16"}


def test_a_design_azure_refuses_is_written_with_a_warning_that_says_why(examples):
    """An imported deployment can carry what Azure refuses (here 10 VMs x 10,000 outbound
    ports on one frontend IP: M-B16). The code is written as designed, and its comment and
    stderr say the deployment will fail and why, before az deployment or terraform apply."""
    import dataclasses

    from designer.export.code import code_text
    from designer.export.code.plan import CodeOptions
    scenario = loads(dumps(examples["11-outbound-rule.outbound.json"]))
    lb = scenario.topology.node("lb")
    rule = dataclasses.replace(lb.outbound_rules[0], allocated_ports=40000)
    scenario.topology.replace_node(dataclasses.replace(lb, outbound_rules=(rule,)))
    text, p = code_text(scenario, ".tf", CodeOptions(simulate=False))
    refused = [m for m in p.messages if "Azure will refuse this deployment" in m]
    assert refused and refused[0].startswith("warning: ")
    assert "SpecifiedAllocatedOutboundPortsForOutboundRuleExceedsTotalNumberOfAvailablePorts" \
        in refused[0]
    assert "# Warning: Azure will refuse this deployment: lb: outbound rule egress" in text
    # the bundled examples deploy as they are: nothing refused
    for name, example in examples.items():
        assert not [w for w in deployable(example).warnings if "refuse" in w], name
