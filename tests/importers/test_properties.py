"""Generated templates (hypothesis): the importer raises nothing but its own error, and what
it imports always saves and loads back (validation may find what Azure would refuse: the
template said so)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.importers import ImportFailure, import_arm

from .helpers import SCHEMA, check_scenario

TYPES = ["Microsoft.Network/virtualNetworks", "Microsoft.Network/virtualNetworks/subnets",
         "Microsoft.Network/networkInterfaces", "Microsoft.Compute/virtualMachines",
         "Microsoft.Network/loadBalancers", "Microsoft.Network/publicIPAddresses",
         "Microsoft.Network/networkSecurityGroups", "Microsoft.Network/natGateways",
         "Microsoft.Network/publicIPPrefixes", "Microsoft.Compute/virtualMachineScaleSets",
         "Microsoft.Network/routeTables", "Microsoft.Storage/storageAccounts", "subnets"]
NAMES = st.sampled_from(["a", "b", "web", "vnet/a", "[concat('x', 'y')]",
                         "[parameters('p')]", "[variables('v')]", "[copyIndex()]", ""])
KEYS = st.sampled_from(["addressPrefix", "addressPrefixes", "subnets", "subnet", "id",
                        "ipConfigurations", "properties", "publicIPAddress", "securityRules",
                        "priority", "direction", "access", "protocol", "frontendPort",
                        "loadBalancingRules", "frontendIPConfigurations", "backendAddressPools",
                        "networkProfile", "networkInterfaces", "primary", "capacity", "name",
                        "idleTimeoutInMinutes", "routes", "nextHopType", "copy", "count",
                        "input", "sourceAddressPrefix", "destinationPortRange", "natGateway",
                        "defaultOutboundAccess", "allocatedOutboundPorts", "prefixLength"])
EXPRESSIONS = st.sampled_from([
    "[parameters('p')]", "[variables('v')]", "[copyIndex()]", "[concat('10.0.', '1.0/24')]",
    "[resourceId('Microsoft.Network/virtualNetworks', 'a')]", "[reference('x').id]",
    "[if(true, 1, 'a')]", "[add(1, 'x')]", "[bogus()]", "[length(variables('v'))]",
    "[createArray(1, 2)[5]]", "[json('{')]", "[split('a', '')]", "[int('x')]", "[[literal]",
    "10.0.1.0/24", "0.0.0.0/0", "VirtualAppliance", "Inbound", "Allow", "Tcp", "*", "Internet",
    "[range(0, 100001)]", "[concat(parameters('p'), 1)]"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), EXPRESSIONS,
                    st.text(max_size=6))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
RESOURCE = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES), "name": NAMES},
    optional={"properties": st.dictionaries(KEYS, VALUES, max_size=5),
              "sku": st.one_of(st.sampled_from([{"name": "Standard"}, {"name": "Basic"},
                                                {"name": "x", "capacity": 3}]), VALUES),
              "condition": st.one_of(st.booleans(), EXPRESSIONS),
              "copy": st.fixed_dictionaries({"name": st.just("loop"),
                                             "count": st.one_of(st.integers(-1, 4), EXPRESSIONS)}),
              "resources": st.lists(st.fixed_dictionaries({"type": st.just("subnets"),
                                                           "name": NAMES}), max_size=2)})
TEMPLATES = st.fixed_dictionaries({
    "$schema": st.just(SCHEMA),
    "parameters": st.dictionaries(st.just("p"), st.fixed_dictionaries(
        {"type": st.sampled_from(["string", "int", "array"])},
        optional={"defaultValue": VALUES}), max_size=1),
    "variables": st.dictionaries(st.just("v"), VALUES, max_size=1),
    "resources": st.lists(RESOURCE, max_size=6)})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEMPLATES)
def test_generated_templates_import_or_fail_with_one_line(template):
    try:
        scenario, _summary = import_arm(template, source="generated.json")
    except ImportFailure as exc:
        assert "\n" not in str(exc) and str(exc).startswith("generated.json")
        return
    check_scenario(scenario, allow_errors=True)


def _leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,)
            yield from _leaf_paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield path + (index,)
            yield from _leaf_paths(item, path + (index,))


def _web_tier():
    from .helpers import load_fixture
    return load_fixture("arm_web_tier.json")


WEB_TIER_PATHS = [p for p in _leaf_paths(_web_tier()["resources"]) if p]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(WEB_TIER_PATHS), VALUES), min_size=1, max_size=4))
def test_mutated_real_shaped_templates_import_or_fail_with_one_line(mutations):
    """The fixture's web tier with a few values replaced anywhere in its resources: every
    mapping rule meets odd shapes, and still nothing but ImportFailure comes out."""
    template = _web_tier()
    for path, value in mutations:
        target = template["resources"]
        for depth, step in enumerate(path):
            fits = isinstance(target, dict) and isinstance(step, str) and step in target or \
                isinstance(target, list) and isinstance(step, int) and step < len(target)
            if not fits:
                break  # an earlier mutation replaced the container: JSON has no such path
            if depth == len(path) - 1:
                target[step] = value
            else:
                target = target[step]
    try:
        scenario, _summary = import_arm(template, {"adminUsername": "me"},
                                        source="generated.json")
    except ImportFailure as exc:
        assert "\n" not in str(exc) and str(exc).startswith("generated.json")
        return
    check_scenario(scenario, allow_errors=True)
