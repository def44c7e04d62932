"""Template evaluation beyond single expressions: parameters, variables, loops, nesting."""
from __future__ import annotations

import pytest

from designer.importers import ImportFailure, import_arm
from designer.importers.arm import evaluate_template

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
