"""Template evaluation beyond single expressions: parameters, variables, loops, nesting."""
from __future__ import annotations

import pytest

from designer.importers import ImportFailure, import_arm
from designer.importers.arm import evaluate_template, template_parameters

from .helpers import SCHEMA, template

VNET = {"type": "Microsoft.Network/virtualNetworks", "name": "[parameters('name')]",
        "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}


def names(resources):
    return [r.name for r in resources]


def test_variable_copy_and_property_copy_and_escaped_brackets():
    t = template({"type": "Microsoft.Network/virtualNetworks", "name": "[variables('n')[1]]",
                  "properties": {"comment": "[[not evaluated]", "addressSpace": {
                      "addressPrefixes": "[variables('spaces')]"}}},
                 variables={"copy": [{"name": "n", "count": 2, "input":
                                      "[concat('v', copyIndex('n'))]"},
                                     {"name": "spaces", "count": 2, "input":
                                      "[format('10.{0}.0.0/16', copyIndex('spaces'))]"}]})
    (vnet,), _ = evaluate_template(t)
    assert vnet.name == "v1" and vnet.properties["comment"] == "[not evaluated]"
    assert vnet.properties["addressSpace"]["addressPrefixes"] == ["10.0.0.0/16", "10.1.0.0/16"]


def test_allowed_values_and_self_reference():
    t = template(VNET, parameters={"name": {"type": "string", "allowedValues": ["a", "b"],
                                            "defaultValue": "a"}})
    assert names(evaluate_template(t, {"name": "B"})[0]) == ["B"]
    with pytest.raises(ImportFailure, match="not one of the allowed values"):
        evaluate_template(t, {"name": "c"})
    loop = template(VNET, parameters={"name": {"type": "string",
                                               "defaultValue": "[variables('x')]"}},
                    variables={"x": "[parameters('name')]"})
    with pytest.raises(ImportFailure, match="refers to itself"):
        evaluate_template(loop)


def test_given_values_outside_min_and_max_are_refused_as_azure_refuses_them():
    t = template(VNET, parameters={
        "name": {"type": "string", "minLength": 2, "maxLength": 8},
        "count": {"type": "int", "minValue": 1, "maxValue": 100, "defaultValue": 2},
        "secret": {"type": "securestring", "maxLength": 4}})
    assert names(evaluate_template(t, {"name": "hub", "count": 100})[0]) == ["hub"]
    for given, message in (({"name": "hub", "count": 2000}, "2000 is above its maxValue 100"),
                           ({"name": "hub", "count": 0}, "0 is below its minValue 1"),
                           ({"name": "h"}, "1 characters, shorter than its minLength 2"),
                           ({"name": "a-long-name"}, "longer than its maxLength 8")):
        with pytest.raises(ImportFailure, match=message):
            evaluate_template(t, given)
    # a Key Vault reference in a parameters file stands for a secret: never checked
    assert evaluate_template(t, {"name": "hub", "secret": "(secure value not given)"})[0]


def test_nullable_parameters_of_bicep_may_be_left_out_and_are_null():
    """Bicep's `param natId string?` builds to "nullable": true: optional, null when not
    given (the import used to refuse the template for want of its value)."""
    t = {"$schema": SCHEMA, "languageVersion": "2.0", "contentVersion": "1.0.0.0",
         "parameters": {"natId": {"type": "string", "nullable": True},
                        "name": {"type": "string"}},
         "resources": {"vnet": {"type": "Microsoft.Network/virtualNetworks",
                                "name": "[coalesce(parameters('natId'), parameters('name'))]",
                                "properties": {}}}}
    assert names(evaluate_template(t, {"name": "hub"})[0]) == ["hub"]
    assert names(evaluate_template(t, {"name": "hub", "natId": "x"})[0]) == ["x"]
    assert [p.name for p in template_parameters(t) if p.required] == ["name"]


def test_a_parameter_of_a_user_defined_type_takes_its_definitions_type(tmp_path):
    """languageVersion 2.0: `"tiers": {"$ref": "#/definitions/tiers"}` (a Bicep type). A
    --param value is read as that type's JSON (it stayed a string, and tiers[0].name failed)."""
    from designer.importers import import_sources
    t = {"$schema": SCHEMA, "languageVersion": "2.0", "contentVersion": "1.0.0.0",
         "definitions": {"tier": {"type": "object"},
                         "tiers": {"type": "array", "items": {"$ref": "#/definitions/tier"}},
                         "alias": {"$ref": "#/definitions/tiers"}},
         "parameters": {"tiers": {"$ref": "#/definitions/alias"}},
         "resources": {"v": {"type": "Microsoft.Network/virtualNetworks", "properties": {},
                             "name": "[format('{0}-vnet', parameters('tiers')[0].name)]"}}}
    assert [p.type for p in template_parameters(t)] == ["array"]
    path = tmp_path / "typed.json"
    path.write_text(__import__("json").dumps(t))
    scenario, _ = import_sources([str(path)], parameters={"tiers": '[{"name": "web"}]'})
    assert scenario.topology.node_ids("vnet") == ["web-vnet"]


def test_inner_nested_deployment_existing_resources_and_linked_templates():
    inner = {"$schema": SCHEMA, "parameters": {"name": {"type": "string"}},
             "resources": [VNET, {"type": "Microsoft.Network/natGateways", "name": "old",
                                  "existing": True}]}
    t = template({"type": "Microsoft.Resources/deployments", "name": "net",
                  "resourceGroup": "net-rg",
                  "properties": {"expressionEvaluationOptions": {"scope": "inner"},
                                 "parameters": {"name": {"value": "hub"}}, "template": inner}},
                 {"type": "Microsoft.Resources/deployments", "name": "linked",
                  "properties": {"templateLink": {"uri": "https://example.invalid/t.json"}}})
    resources, notes = evaluate_template(t)
    assert names(resources) == ["hub"] and "/resourceGroups/net-rg/" in resources[0].id
    assert {n.code for n in notes} == {"import-existing", "import-skipped"}


def test_language_version_2_symbolic_resources():
    t = {"$schema": SCHEMA, "languageVersion": "2.0", "parameters": {},
         "resources": {"vnet": {**VNET, "name": "sym"}}}
    scenario, _ = import_arm(t)
    assert scenario.topology.node_ids("vnet") == ["sym"]


def test_not_an_arm_template():
    with pytest.raises(ImportFailure, match="not an ARM template"):
        evaluate_template({"format": "outbound-designer", "nodes": []})


def _module(name, template, parameters=None):
    """A Bicep module as `az bicep build` emits it: an inline nested deployment, inner scope."""
    return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": name,
            "properties": {"expressionEvaluationOptions": {"scope": "inner"},
                           "mode": "Incremental",
                           "parameters": {k: {"value": v} for k, v in (parameters or {}).items()},
                           "template": {"$schema": SCHEMA, "contentVersion": "1.0.0.0",
                                        **template}}}


def _output_of(module, output):
    return (f"[reference(resourceId('Microsoft.Resources/deployments', '{module}'), "
            f"'2022-09-01').outputs.{output}.value]")


NAT_MODULE = {
    "parameters": {"name": {"type": "string"}},
    "resources": [
        {"type": "Microsoft.Network/publicIPAddresses", "name": "[format('{0}-ip', "
         "parameters('name'))]", "sku": {"name": "Standard"}, "properties": {}},
        {"type": "Microsoft.Network/natGateways", "name": "[parameters('name')]",
         "sku": {"name": "Standard"}, "properties": {"publicIpAddresses": [
             {"id": "[resourceId('Microsoft.Network/publicIPAddresses', "
                    "format('{0}-ip', parameters('name')))]"}]}}],
    "outputs": {"id": {"type": "string", "value": "[resourceId('Microsoft.Network/natGateways', "
                                                  "parameters('name'))]"},
                "ip": {"type": "string", "value": "[reference(format('{0}-ip', "
                                                  "parameters('name'))).ipAddress]"},
                "odd": {"type": "string", "value": "[notAFunction()]"}}}


def test_module_outputs_pass_between_bicep_modules():
    """Bicep modules hand each other ids through reference(deployment).outputs: the NAT
    gateway's id reaches the subnet, the subnet's id the NIC, so the VM leaves through the NAT
    gateway (M-B2.2) rather than default outbound access with no word said."""
    network = {"parameters": {"natId": {"type": "string"}},
               "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "vnet",
                              "properties": {"addressSpace": {"addressPrefixes": ["10.4.0.0/16"]},
                                             "subnets": [{"name": "apps", "properties": {
                                                 "addressPrefix": "10.4.1.0/24",
                                                 "natGateway": {"id": "[parameters('natId')]"}}}]}}],
               "outputs": {"subnetIds": {"type": "array", "copy": {"count": 1, "input":
                   "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'apps')]"}}}}
    t = template(
        {"type": "Microsoft.Network/networkInterfaces", "name": "app-nic",
         "properties": {"ipConfigurations": [{"name": "ip", "properties": {
             "subnet": {"id": "[" + _output_of("network", "subnetIds")[1:-1] + "[0]]"}}}]}},
        {"type": "Microsoft.Compute/virtualMachines", "name": "app",
         "properties": {"networkProfile": {"networkInterfaces": [
             {"id": "[resourceId('Microsoft.Network/networkInterfaces', 'app-nic')]"}]}}},
        _module("network", network, {"natId": _output_of("nat", "id")}),
        _module("nat", NAT_MODULE, {"name": "egress"}))
    scenario, summary = import_arm(t)
    links = {(l.kind, l.source, l.target) for l in scenario.topology.links()}
    assert {("nat", "egress", "apps"), ("in_subnet", "app", "apps"),
            ("nat", "egress", "egress-ip")} <= links
    # the output with an unknown function is never read: no failure, no warning
    assert not [n for n in summary.notes if n.severity == "warning"]


def test_symbolic_module_reference_and_module_loops():
    """languageVersion 2.0 refers to a module by its symbolic name; a module loop has one
    deployment (and one set of outputs) per iteration."""
    t = {"$schema": SCHEMA, "languageVersion": "2.0", "contentVersion": "1.0.0.0",
         "parameters": {}, "resources": {
             "gw": {**_module("[format('nat-{0}', copyIndex())]", NAT_MODULE,
                              {"name": "[format('egress{0}', copyIndex())]"}),
                    "copy": {"name": "gw", "count": 2}},
             "one": _module("single", NAT_MODULE, {"name": "solo"}),
             "vnet": {"type": "Microsoft.Network/virtualNetworks", "name": "vnet",
                      "properties": {"addressSpace": {"addressPrefixes": ["10.4.0.0/16"]},
                                     "subnets": [
                                         {"name": "a", "properties": {
                                             "addressPrefix": "10.4.1.0/24", "natGateway": {
                                                 "id": _output_of("nat-1", "id")}}},
                                         {"name": "b", "properties": {
                                             "addressPrefix": "10.4.2.0/24", "natGateway": {
                                                 "id": "[reference('one').outputs.id.value]"}}}]}}}}
    scenario, _ = import_arm(t)
    links = {(l.kind, l.source, l.target) for l in scenario.topology.links()}
    assert {("nat", "egress1", "a"), ("nat", "solo", "b")} <= links


def test_a_reference_the_import_cannot_follow_is_a_warning_where_it_matters():
    """reference() of a resource's runtime state leaves a link out: a warning names the path
    (it used to vanish without a word, and the VM went to default outbound access); one in
    boot diagnostics does not matter and says nothing."""
    t = template(
        {"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}]}},
        {"type": "Microsoft.Network/networkInterfaces", "name": "n", "properties": {
            "ipConfigurations": [{"name": "ip", "properties": {"subnet": {
                "id": "[reference(resourceId('Microsoft.Network/virtualNetworks', 'v'))"
                      ".subnets[0].id]"}}}]}},
        {"type": "Microsoft.Compute/virtualMachines", "name": "vm", "properties": {
            "networkProfile": {"networkInterfaces": [
                {"id": "[resourceId('Microsoft.Network/networkInterfaces', 'n')]"}]},
            "diagnosticsProfile": {"bootDiagnostics": {
                "storageUri": "[reference('st').primaryEndpoints.blob]"}}}})
    _, summary = import_arm(t)
    warnings = [n for n in summary.notes if n.severity == "warning"]
    assert [n.code for n in warnings] == ["import-unknown-value"]
    assert "ipConfigurations[0].properties.subnet.id" in warnings[0].message
    assert "bootDiagnostics" not in " ".join(n.message for n in summary.notes)
