"""Terraform configuration (HCL) import: variables and where their values come from, locals,
count, for_each, dynamic blocks, references between resources, and what cannot be known (a
module call, a data source, a variable with no value) as warnings naming the address."""
import subprocess
import sys
import textwrap

import pytest

from designer.importers import ImportFailure, import_sources
from designer.importers.hcl_expressions import Evaluator, Scope, Unknown, parse, parse_value

from .helpers import check_scenario

CONFIG = textwrap.dedent('''
    terraform {
      required_providers {
        azurerm = { source = "hashicorp/azurerm", version = "~> 4.0" }
      }
    }

    variable "prefix"      { default = "shop" }
    variable "space"       { default = "10.40.0.0/16" }
    variable "web_count"   {
      type    = number
      default = 2
    }
    variable "ports"       { default = 4000 }
    variable "open_ports"  {
      type    = list(number)
      default = [80]
    }
    variable "ssh_key"     { type = string }

    locals {
      subnets = {
        web  = { index = 1, private = false }
        data = { index = 2, private = true }
      }
      rules = [for i, port in var.open_ports : { name = "allow-${port}", port = port,
                                                 priority = 100 + i * 10 }]
    }

    resource "azurerm_resource_group" "rg" {
      name     = "${var.prefix}-rg"
      location = "westeurope"
    }

    resource "azurerm_virtual_network" "main" {
      name                = "${var.prefix}-vnet"
      location            = azurerm_resource_group.rg.location
      resource_group_name = azurerm_resource_group.rg.name
      address_space       = [var.space]
    }

    resource "azurerm_subnet" "tier" {
      for_each                        = local.subnets
      name                            = each.key
      resource_group_name             = azurerm_resource_group.rg.name
      virtual_network_name            = azurerm_virtual_network.main.name
      address_prefixes                = [cidrsubnet(var.space, 8, each.value.index)]
      default_outbound_access_enabled = !each.value.private
    }

    resource "azurerm_network_security_group" "web" {
      name                = "${var.prefix}-web-nsg"
      location            = azurerm_resource_group.rg.location
      resource_group_name = azurerm_resource_group.rg.name

      dynamic "security_rule" {
        for_each = local.rules
        content {
          name                       = security_rule.value.name
          priority                   = security_rule.value.priority
          direction                  = "Inbound"
          access                     = "Allow"
          protocol                   = "Tcp"
          source_address_prefix      = "Internet"
          source_port_range          = "*"
          destination_address_prefix = "*"
          destination_port_range     = tostring(security_rule.value.port)
        }
      }
    }

    resource "azurerm_subnet_network_security_group_association" "web" {
      subnet_id                 = azurerm_subnet.tier["web"].id
      network_security_group_id = azurerm_network_security_group.web.id
    }

    resource "azurerm_public_ip" "lb" {
      name                = "${var.prefix}-lb-ip"
      location            = azurerm_resource_group.rg.location
      resource_group_name = azurerm_resource_group.rg.name
      allocation_method   = "Static"
      sku                 = "Standard"
    }

    resource "azurerm_lb" "web" {
      name                = "${var.prefix}-lb"
      location            = azurerm_resource_group.rg.location
      resource_group_name = azurerm_resource_group.rg.name
      sku                 = "Standard"
      frontend_ip_configuration {
        name                 = "public"
        public_ip_address_id = azurerm_public_ip.lb.id
      }
    }

    resource "azurerm_lb_backend_address_pool" "web" {
      name            = "web"
      loadbalancer_id = azurerm_lb.web.id
    }

    resource "azurerm_lb_probe" "web" {
      name            = "http"
      loadbalancer_id = azurerm_lb.web.id
      protocol        = "Http"
      port            = 80
      request_path    = "/health"
    }

    resource "azurerm_lb_rule" "http" {
      name                           = "http"
      loadbalancer_id                = azurerm_lb.web.id
      frontend_ip_configuration_name = azurerm_lb.web.frontend_ip_configuration[0].name
      protocol                       = "Tcp"
      frontend_port                  = 80
      backend_port                   = 80
      backend_address_pool_ids       = [azurerm_lb_backend_address_pool.web.id]
      probe_id                       = azurerm_lb_probe.web.id
      disable_outbound_snat          = true
    }

    resource "azurerm_lb_outbound_rule" "egress" {
      name                    = "egress"
      loadbalancer_id         = azurerm_lb.web.id
      protocol                = "All"
      backend_address_pool_id = azurerm_lb_backend_address_pool.web.id
      allocated_outbound_ports = var.ports
      frontend_ip_configuration {
        name = "public"
      }
    }

    resource "azurerm_network_interface" "web" {
      count               = var.web_count
      name                = format("%s-web-%02d-nic", var.prefix, count.index + 1)
      location            = azurerm_resource_group.rg.location
      resource_group_name = azurerm_resource_group.rg.name
      ip_configuration {
        name                          = "ipconfig"
        subnet_id                     = azurerm_subnet.tier["web"].id
        private_ip_address_allocation = "Dynamic"
      }
    }

    resource "azurerm_network_interface_backend_address_pool_association" "web" {
      count                   = var.web_count
      network_interface_id    = azurerm_network_interface.web[count.index].id
      ip_configuration_name   = "ipconfig"
      backend_address_pool_id = azurerm_lb_backend_address_pool.web.id
    }

    resource "azurerm_linux_virtual_machine" "web" {
      count                 = var.web_count
      name                  = format("%s-web-%02d", var.prefix, count.index + 1)
      location              = azurerm_resource_group.rg.location
      resource_group_name   = azurerm_resource_group.rg.name
      size                  = "Standard_B2s"
      admin_username        = "azureuser"
      network_interface_ids = [azurerm_network_interface.web[count.index].id]
      admin_ssh_key {
        username   = "azureuser"
        public_key = var.ssh_key
      }
      os_disk {
        caching              = "ReadWrite"
        storage_account_type = "StandardSSD_LRS"
      }
      source_image_reference {
        publisher = "Canonical"
        offer     = "ubuntu-24_04-lts"
        sku       = "server"
        version   = "latest"
      }
    }
''')


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def nodes(scenario, kind):
    return {n.id: n for n in scenario.topology.nodes(kind)}


def test_a_configuration_in_the_style_people_write(tmp_path):
    write(tmp_path, "main.tf", CONFIG)
    scenario, summary = import_sources([str(tmp_path)], variables={"ssh_key": "ssh-ed25519 A"})
    check_scenario(scenario, simulate_s=30)
    t = scenario.topology
    assert set(nodes(scenario, "vm")) == {"shop-web-01", "shop-web-02"}   # count = var default
    subnets = nodes(scenario, "subnet")
    assert subnets["web"].prefix == "10.40.1.0/24" and not subnets["web"].private
    assert subnets["data"].prefix == "10.40.2.0/24" and subnets["data"].private  # for_each
    assert t.vnet_of("web") == "shop-vnet"
    assert t.nsg_of("web") == "shop-web-nsg"
    (rule,) = t.node("shop-web-nsg").rules                                   # dynamic block
    assert (rule.name, rule.priority, rule.destination_port) == ("allow-80", 100, "80")
    lb = t.node("shop-lb")
    assert lb.sku == "standard" and t.frontends("shop-lb") == ["shop-lb-ip"]
    assert [(r.name, r.frontend, r.disable_outbound_snat) for r in lb.rules] == \
        [("http", "shop-lb-ip", True)]
    assert lb.outbound_rules[0].allocated_ports == 4000
    assert lb.probe.protocol == "http" and lb.probe.path == "/health"
    assert t.backend_pool("shop-lb") == ["shop-web-01", "shop-web-02"]
    assert {t.subnet_of(vm) for vm in nodes(scenario, "vm")} == {"web"}
    assert [n.code for n in summary.notes] == ["import-address-assumed"]


def test_variable_values_come_in_terraforms_order(tmp_path):
    """default < terraform.tfvars < *.auto.tfvars < --var-file < --var."""
    write(tmp_path, "main.tf", CONFIG)
    write(tmp_path, "terraform.tfvars", 'web_count = 3\nports = 2000\nprefix = "tfvars"\n')
    write(tmp_path, "x.auto.tfvars", 'ports = 3000\nprefix = "auto"\n')
    extra = write(tmp_path / "..", "extra.tfvars.json", '{"prefix": "file"}')
    scenario, _ = import_sources([str(tmp_path)], variables={"ssh_key": "k", "web_count": "4"},
                                 variable_files=[str(extra)])
    assert len(nodes(scenario, "vm")) == 4                  # --var beats terraform.tfvars
    assert set(nodes(scenario, "vm")) >= {"file-web-04"}    # --var-file beats *.auto.tfvars
    assert scenario.topology.node("file-lb").outbound_rules[0].allocated_ports == 3000


def test_what_cannot_be_known_is_a_warning_naming_the_address(tmp_path):
    write(tmp_path, "main.tf", CONFIG + textwrap.dedent('''
        data "azurerm_subnet" "shared" {
          name                 = "shared"
          virtual_network_name = "hub"
          resource_group_name  = "hub-rg"
        }
        data "azurerm_resources" "vms" {
          type = "Microsoft.Compute/virtualMachines"
        }
        module "network" {
          source = "./modules/network"
        }
        resource "azurerm_network_interface" "side" {
          name                = "side-nic"
          location            = "westeurope"
          resource_group_name = "shop-rg"
          ip_configuration {
            name                          = "ipconfig"
            subnet_id                     = data.azurerm_subnet.shared.id
            private_ip_address_allocation = "Dynamic"
          }
        }
        resource "azurerm_public_ip" "many" {
          count               = length(data.azurerm_resources.vms.resources)
          name                = "many-${count.index}"
          location            = "westeurope"
          resource_group_name = "shop-rg"
          allocation_method   = "Static"
        }
        resource "azurerm_nat_gateway" "nat" {
          name                    = "nat"
          location                = "westeurope"
          resource_group_name     = "shop-rg"
          idle_timeout_in_minutes = module.network.idle_timeout
          sku_name                = "Standard"
        }
        resource "azurerm_public_ip" "odd" {
          name                = "odd"
          location            = "westeurope"
          resource_group_name = "shop-rg"
          allocation_method   = "Static"
          sku                 = sha256("x")
        }
    '''))
    scenario, summary = import_sources([str(tmp_path / "main.tf")])
    lines = [n.line() for n in summary.notes]
    text = "\n".join(lines)
    assert "warning: module.network (./modules/network): module calls are not read" in text
    assert "azurerm_public_ip.many: its count depends on a value known only at apply time" in text
    assert "many-0" not in nodes(scenario, "public_ip")          # never a guessed count
    assert ("warning: data.azurerm_subnet.shared is read from Azure when Terraform plans: "
            "azurerm_network_interface.side.ip_configuration.0.subnet_id left unknown") in lines
    assert ("warning: module.network is a module call, not read: "
            "azurerm_nat_gateway.nat.idle_timeout_in_minutes left unknown") in lines
    assert "warning: function sha256() is not supported" in text
    # a variable with no value, used only where the outbound model does not look: a note
    assert ("info: var.ssh_key has no value (no default, no --var): "
            "azurerm_linux_virtual_machine.web[0].admin_ssh_key.0.public_key, "
            "azurerm_linux_virtual_machine.web[1].admin_ssh_key.0.public_key left unknown") \
        in lines
    assert scenario.topology.node("nat").idle_timeout_min == 4      # unknown: the default
    check_scenario(scenario, allow_errors=True)    # (a NAT gateway without IP: an error)


@pytest.mark.parametrize("text, message", [
    ('resource "azurerm_lb" "x" {\n  name = \n}\n', "main.tf: not valid Terraform configuration at line"),
    ('resource "azurerm_lb" "x" {\n  name = var.nope\n}\n',
     "main.tf: azurerm_lb.x: reference to an undeclared variable var.nope"),
    ('resource "azurerm_lb" "x" {\n  name = azurerm_foo.bar.name\n}\n',
     "main.tf: azurerm_lb.x: reference to an undeclared resource type or name 'azurerm_foo'"),
])
def test_broken_configurations_are_one_line(tmp_path, text, message):
    write(tmp_path, "main.tf", text)
    with pytest.raises(ImportFailure) as caught:
        import_sources([str(tmp_path / "main.tf")])
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_an_undeclared_var_is_refused_and_the_command_writes_nothing(tmp_path):
    write(tmp_path, "main.tf", CONFIG)
    with pytest.raises(ImportFailure, match="--var sizes: no variable 'sizes' is declared"):
        import_sources([str(tmp_path)], variables={"sizes": "3"})
    out = tmp_path / "out.outbound.json"
    done = subprocess.run([sys.executable, "-m", "designer", "import", str(tmp_path),
                           "--var", "sizes=3", "-o", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and not out.exists()
    done = subprocess.run([sys.executable, "-m", "designer", "import", str(tmp_path),
                           "--var", "ssh_key=k", "--var", "web_count=1", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "imported main.tf" in done.stderr or "(hcl)" in done.stderr
    assert '"shop-web-01"' in out.read_text()


# ---------------------------------------------------------------- the expression language

class Vars(Scope):
    def root(self, name, tree):
        if name == "var":
            return {"n": 3, "s": "web", "list": ["a", "b"], "map": {"x": 1, "y": 2},
                    "cidr": "10.0.0.0/16", "flag": False}
        if name == "id":
            return Unknown(refs=frozenset({"azurerm_x.y"}))
        return super().root(name, tree)


@pytest.mark.parametrize("text, value", [
    ('"${var.s}-${var.n + 1}"', "web-4"),
    ('"a\\"b\\\\c $${literal}"', 'a"b\\c ${literal}'),
    ("var.n * 2 % 4 + 1 - 1", 2),
    ("var.flag ? \"yes\" : \"no\"", "no"),
    ("!var.flag && var.n >= 3", True),
    ("[for i, v in var.list : \"${i}:${v}\"]", ["0:a", "1:b"]),
    ("{for k, v in var.map : upper(k) => v * 10 if v > 1}", {"Y": 20}),
    ("[for v in var.list : v]", ["a", "b"]),
    ("var.map[\"y\"]", 2),
    ("[{a = 1}, {a = 2}][*].a", [1, 2]),
    ("cidrsubnet(var.cidr, 8, 3)", "10.0.3.0/24"),
    ("cidrhost(\"10.0.1.0/24\", 4)", "10.0.1.4"),
    ("cidrsubnets(\"10.0.0.0/16\", 8, 8, 4)", ["10.0.0.0/24", "10.0.1.0/24", "10.0.16.0/20"]),
    ("format(\"%s-%03d\", var.s, 7)", "web-007"),
    ("join(\",\", concat(var.list, [\"c\"]))", "a,b,c"),
    ("lookup(var.map, \"z\", 0) + length(var.list)", 2),
    ("merge(var.map, {z = 3})", {"x": 1, "y": 2, "z": 3}),
    ("element(var.list, 3)", "b"),
    ("try(id, \"fallback\")", "fallback"),
    ("max(var.n, 7, -1)", 7),
    ("toset([\"b\", \"a\", \"b\"])", ["a", "b"]),
])
def test_expressions(text, value):
    assert Evaluator(Vars()).eval(parse(text)) == value


def test_unknown_values_spread_and_keep_their_references():
    e = Evaluator(Vars())
    got = e.eval(parse('"${id}-${var.s}"'))
    assert isinstance(got, Unknown) and got.refs == {"azurerm_x.y"}
    assert e.eval(parse("var.flag && id")) is False            # short-circuit: known
    assert isinstance(e.eval(parse("[id, 1]"))[0], Unknown)
    assert e.eval(parse_value('"<<EOT\n  two ${var.s}\nEOT"')) == "  two web\n"


def test_element_of_a_splat_picks_each_instance_and_try_falls_back_quietly(tmp_path):
    """element(nic[*].id, count.index) is the count.index-th NIC's id, known at apply: each
    association joins its own NIC (all three used to join the first, so two VMs simulated
    without the NSG that denies them the Internet). A try(file(...), fallback) needs no
    warning: nothing is left unknown."""
    write(tmp_path, "main.tf", textwrap.dedent('''
        resource "azurerm_virtual_network" "v" {
          name                = "v"
          location            = "westeurope"
          resource_group_name = "rg"
          address_space       = ["10.9.0.0/16"]
        }
        resource "azurerm_subnet" "s" {
          name                 = "s"
          resource_group_name  = "rg"
          virtual_network_name = azurerm_virtual_network.v.name
          address_prefixes     = ["10.9.1.0/24"]
        }
        resource "azurerm_network_security_group" "deny" {
          name                = "deny"
          location            = "westeurope"
          resource_group_name = "rg"
          security_rule {
            name                       = "no-internet"
            priority                   = 4000
            direction                  = "Outbound"
            access                     = "Deny"
            protocol                   = "*"
            source_port_range          = "*"
            destination_port_range     = "*"
            source_address_prefix      = "*"
            destination_address_prefix = "Internet"
          }
        }
        resource "azurerm_network_interface" "n" {
          count               = 3
          name                = "n${count.index}"
          location            = "westeurope"
          resource_group_name = "rg"
          ip_configuration {
            name                          = "ip"
            subnet_id                     = azurerm_subnet.s.id
            private_ip_address_allocation = "Dynamic"
          }
        }
        resource "azurerm_network_interface_security_group_association" "n" {
          count                     = length(azurerm_network_interface.n)
          network_interface_id      = element(azurerm_network_interface.n[*].id, count.index)
          network_security_group_id = azurerm_network_security_group.deny.id
        }
        resource "azurerm_linux_virtual_machine" "vm" {
          count                 = 3
          name                  = "vm${count.index}"
          location              = "westeurope"
          resource_group_name   = "rg"
          size                  = "Standard_B1s"
          admin_username        = "me"
          network_interface_ids = [azurerm_network_interface.n[count.index].id]
          admin_ssh_key {
            username   = "me"
            public_key = try(file("~/.ssh/id_rsa.pub"), "ssh-ed25519 AAAA")
          }
        }
    '''))
    scenario, summary = import_sources([str(tmp_path / "main.tf")])
    assert {vm: scenario.topology.nsg_of(vm) for vm in ("vm0", "vm1", "vm2")} == {
        "vm0": "deny", "vm1": "deny", "vm2": "deny"}
    assert not [n.line() for n in summary.notes if n.severity == "warning"]
