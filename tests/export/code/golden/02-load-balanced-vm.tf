# "VM in a load-balanced pool", exported by Outbound Designer VERSION from
# 02-load-balanced-vm.outbound.json.
#
# Azure retired Basic load balancers and Basic public IPs on 30 September 2025: this design, drawn
# with classic (Basic) semantics, is exported as its Standard equivalent (modern semantics).
#
# Deploys 1 virtual network, 1 subnet, 1 network security group, 1 public IP, 1 load balancer and 1
# Linux VM with its NIC.
#
# Left out, because they are not infrastructure: traffic generator client; Internet endpoint
# api.contoso.example; the simulation settings (seed 7). Azure assigns public IP addresses, so the
# drawn ones (lb-ip 52.0.0.10) are not deployed; the outputs show the real ones.
#
# Simulation of the design as drawn: simulated 600 s at 2 flows/s (seed 7, classic semantics): no
# SNAT failures; web-1 peaks at 539 of 1,024 ports.
#
# Its Standard equivalent (what this file deploys) simulates the same.
#
# 1 VM drawn without a subnet (web-1) goes into subnet default (10.255.0.0/16, the subnet the
# simulator implies) of a new virtual network vnet.
#
# lb: Basic -> Standard load balancer; outbound rule outbound gives its pool VM the 1,024 SNAT ports
# it had (through this load balancer, M-A5) through frontend lb-ip for TCP and UDP (M-A7); its
# load-balancing rules set disableOutboundSnat (M-B5); its probe keeps 2 consecutive results per
# change as probeThreshold (M-B12).
#
# 1 public IP (lb-ip) Basic -> Standard (static allocation).
#
# NSG web-1-nsg added on the NIC of web-1: Standard load balancers and public IPs are closed inbound
# until an NSG allows (M-B1); it allows what the Basic resources left open: TCP to port 80 from the
# Internet.
#
# Deploy: export ARM_SUBSCRIPTION_ID=...; terraform init; terraform plan -out design.tfplan -var
# admin_ssh_public_key="$(cat ~/.ssh/id_ed25519.pub)"; terraform apply design.tfplan

terraform {
  required_version = ">= 1.5"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {}
}

variable "resource_group_name" {
  description = "the resource group this creates"
  type        = string
  default     = "02-load-balanced-vm-rg"
}

variable "location" {
  description = "Azure region of every resource"
  type        = string
  default     = "westeurope"
}

variable "admin_username" {
  description = "administrator account of every VM"
  type        = string
  default     = "azureuser"
}

variable "admin_ssh_public_key" {
  description = "SSH public key of admin_username on every VM (for example the contents of ~/.ssh/id_ed25519.pub); password sign-in is off"
  type        = string
}

variable "vm_size" {
  description = "size of every VM"
  type        = string
  default     = "Standard_B2s"
}

variable "vm_image" {
  description = "image of every VM (a Linux image: the VMs sign in with SSH keys)"
  type        = object({
    publisher = string
    offer     = string
    sku       = string
    version   = string
  })
  default = {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }
}

resource "azurerm_resource_group" "main" {
  name     = var.resource_group_name
  location = var.location
}

resource "azurerm_network_security_group" "web_1_nsg" {
  # added for the Standard equivalent: allows what the Basic resources left open inbound
  name                = "web-1-nsg"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name

  security_rule {
    name                       = "Allow-lb-http"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "Internet"
    source_port_range          = "*"
    destination_address_prefix = "*"
    destination_port_range     = "80"
  }
}

resource "azurerm_public_ip" "lb_ip" {
  name                = "lb-ip"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_virtual_network" "vnet" {
  name                = "vnet"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  address_space       = ["10.255.0.0/16"]
}

resource "azurerm_subnet" "default" {
  name                            = "default"
  resource_group_name             = azurerm_resource_group.main.name
  virtual_network_name            = azurerm_virtual_network.vnet.name
  address_prefixes                = ["10.255.0.0/16"]
  default_outbound_access_enabled = true
}

resource "azurerm_lb" "lb" {
  # drawn as a Basic load balancer: this is its Standard equivalent
  name                = "lb"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "Standard"

  frontend_ip_configuration {
    name                 = "lb-ip"
    public_ip_address_id = azurerm_public_ip.lb_ip.id
  }
}

resource "azurerm_lb_backend_address_pool" "lb" {
  name            = "backend-pool"
  loadbalancer_id = azurerm_lb.lb.id
}

resource "azurerm_lb_probe" "lb" {
  name                = "health-probe"
  loadbalancer_id     = azurerm_lb.lb.id
  protocol            = "Tcp"
  port                = 80
  interval_in_seconds = 15
  number_of_probes    = 2
  probe_threshold     = 2
}

resource "azurerm_lb_rule" "lb_http" {
  name                           = "http"
  loadbalancer_id                = azurerm_lb.lb.id
  frontend_ip_configuration_name = "lb-ip"
  protocol                       = "Tcp"
  frontend_port                  = 80
  backend_port                   = 80
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.lb.id]
  probe_id                       = azurerm_lb_probe.lb.id
  idle_timeout_in_minutes        = 4
  tcp_reset_enabled              = false
  disable_outbound_snat          = true
}

resource "azurerm_lb_outbound_rule" "lb_outbound" {
  name                     = "outbound"
  loadbalancer_id          = azurerm_lb.lb.id
  protocol                 = "All"
  backend_address_pool_id  = azurerm_lb_backend_address_pool.lb.id
  allocated_outbound_ports = 1024
  idle_timeout_in_minutes  = 4
  tcp_reset_enabled        = false

  frontend_ip_configuration {
    name = "lb-ip"
  }
}

resource "azurerm_network_interface" "web_1" {
  name                = "web-1-nic"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name

  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = azurerm_subnet.default.id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_network_interface_backend_address_pool_association" "web_1_lb" {
  network_interface_id    = azurerm_network_interface.web_1.id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.lb.id
}

resource "azurerm_network_interface_security_group_association" "web_1" {
  network_interface_id      = azurerm_network_interface.web_1.id
  network_security_group_id = azurerm_network_security_group.web_1_nsg.id
}

resource "azurerm_linux_virtual_machine" "web_1" {
  name                  = "web-1"
  location              = azurerm_resource_group.main.location
  resource_group_name   = azurerm_resource_group.main.name
  size                  = var.vm_size
  admin_username        = var.admin_username
  network_interface_ids = [azurerm_network_interface.web_1.id]

  admin_ssh_key {
    username   = var.admin_username
    public_key = var.admin_ssh_public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "StandardSSD_LRS"
  }

  source_image_reference {
    publisher = var.vm_image.publisher
    offer     = var.vm_image.offer
    sku       = var.vm_image.sku
    version   = var.vm_image.version
  }
}

output "lb_ip_address" {
  description = "the address Azure assigned to public IP lb-ip"
  value       = azurerm_public_ip.lb_ip.ip_address
}
