"""Exported names are valid Azure names: the naming rules per resource type, at their limits."""
import re

import pytest

from designer.export.code.naming import (NAMING_RULES, Namer, Symbols, azure_name, bicep_symbol,
                                         natural_key, terraform_label)

#: (rule, longest valid, shortest valid) as the Azure naming rules give them
LIMITS = {"vnet": (2, 64), "subnet": (1, 80), "nsg": (1, 80), "security_rule": (1, 80),
          "public_ip": (1, 80), "load_balancer": (1, 80), "lb_part": (1, 80),
          "nat_gateway": (1, 80), "nic": (1, 80), "availability_set": (1, 80), "vm": (1, 64),
          "resource_group": (1, 90)}

NASTY = ["Web Server #1", "  ", "", "-lead-and-trail-", "web.", "ümlaut-Ümlaut", "a", "123",
         "x" * 200, "tab\there", "émoji 🚀 name", "dots...and__under", "_under_first", "9",
         "web-1", "(paren)", "a" * 63 + "-b"]


def test_the_table_has_every_resource_type_the_writers_name():
    assert set(NAMING_RULES) == set(LIMITS)
    for kind, (low, high) in LIMITS.items():
        rule = NAMING_RULES[kind]
        assert (rule.min_len, rule.max_len) == (low, high), kind


@pytest.mark.parametrize("kind", sorted(LIMITS))
@pytest.mark.parametrize("raw", NASTY)
def test_any_text_becomes_a_valid_name(kind, raw):
    name = azure_name(kind, raw)
    assert NAMING_RULES[kind].problem(name) is None, (kind, raw, name)


@pytest.mark.parametrize("kind", sorted(LIMITS))
def test_names_at_the_length_limits(kind):
    rule = NAMING_RULES[kind]
    longest = "a" * rule.max_len
    assert azure_name(kind, longest) == longest                    # at the limit: kept
    assert len(azure_name(kind, longest + "b")) == rule.max_len    # one over: cut
    # a name that would end on a hyphen after the cut is trimmed to a valid end
    cut = azure_name(kind, "a" * (rule.max_len - 1) + "-bbb")
    ends_on_hyphen_ok = re.match(f"[{rule.last}]", "-") is not None   # resource groups
    assert rule.problem(cut) is None
    assert len(cut) == rule.max_len - (0 if ends_on_hyphen_ok else 1)
    shortest = azure_name(kind, "a")
    assert len(shortest) >= rule.min_len and rule.problem(shortest) is None


def test_the_rules_refuse_what_azure_refuses():
    vm, vnet, nic = NAMING_RULES["vm"], NAMING_RULES["vnet"], NAMING_RULES["nic"]
    assert vm.problem("web_1")            # no underscores in a VM (host) name
    assert vm.problem("web-")             # no trailing hyphen
    assert vm.problem("123")              # not digits only
    assert vm.problem("a" * 65)
    assert vnet.problem("a")              # a VNet name has 2 characters at least
    assert nic.problem("nic.")            # may not end with a period
    assert nic.problem("-nic")            # must start with a letter or digit
    assert nic.problem("nic_") is None    # may end with an underscore
    assert nic.problem("my.nic_1-a") is None


def test_the_namer_keeps_names_unique_case_insensitively_and_says_why():
    namer = Namer()
    assert namer.name("vm", "web") == "web"
    assert namer.name("vm", "WEB") == "WEB-2"          # Azure compares names without case
    assert namer.name("vm", "Web Server #1") == "Web-Server-1"
    assert namer.name("subnet", "web", scope="vnet-a") == "web"
    assert namer.name("subnet", "web", scope="vnet-b") == "web"   # another VNet: no clash
    long = namer.name("vm", "w" * 70)
    assert len(long) == 64
    again = namer.name("vm", "w" * 70)
    assert again == "w" * 62 + "-2" and len(again) == 64
    renamed = {r.original: r for r in namer.renamed}
    assert set(renamed) == {"WEB", "Web Server #1", "w" * 70}
    assert "already used" in renamed["WEB"].why
    assert "'#'" in renamed["Web Server #1"].why and "' '" in renamed["Web Server #1"].why
    assert "1-64 characters" in renamed["w" * 70].why


def test_identifiers_for_terraform_and_bicep():
    assert terraform_label("lb-web") == "lb_web"
    assert terraform_label("Web Server #1") == "web_server_1"
    assert terraform_label("1st") == "r_1st"
    assert bicep_symbol("lb-web") == "lbWeb"
    assert bicep_symbol("web-1") == "web1"
    assert bicep_symbol("1st-vm") == "r1stVm"
    assert bicep_symbol("Vnet Prod") == "vnetProd"
    for raw in NASTY:
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", terraform_label(raw)), raw
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", bicep_symbol(raw)), raw
    symbols = Symbols(reserved=frozenset({"location"}))
    assert symbols.claim("location") == "location2"
    assert symbols.claim("web", "Nic") == "web"
    assert symbols.claim("web", "Nic") == "webNic"
    assert symbols.claim("web", "Nic") == "webNic2"


def test_natural_order():
    assert sorted(["web-10", "web-2", "web-1", "app"], key=natural_key) == \
        ["app", "web-1", "web-2", "web-10"]
