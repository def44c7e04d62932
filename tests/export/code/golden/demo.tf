# "Demo: SNAT exhaustion and its fixes", exported by Outbound Designer VERSION from
# demo.outbound.json.
#
# Deploys 1 virtual network, 2 subnets, 1 network security group, 2 public IPs, 1 load balancer, 1
# NAT gateway and 5 Linux VMs with their NICs.
#
# Left out, because they are not infrastructure: traffic generators flood (new connection per
# request), nslookup myip, pooled client (8 connections); Internet endpoints api.contoso.example,
# resolver1.opendns.com; the simulation settings (seed 42). Azure assigns public IP addresses, so
# the drawn ones (lb-ip 52.0.0.10, nat-ip 20.10.0.1) are not deployed; the outputs show the real
# ones.
#
# Simulation of the design as drawn: simulated 600 s at 0.2-10 flows/s (seed 42, modern semantics):
# 2,914 of 12,308 flows failed for want of a SNAT port (web-1); web-1 peaks at 1,024 of 1,024 ports.
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
  default     = "demo-rg"
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

resource "azurerm_network_security_group" "web_nsg" {
  name                = "web-nsg"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name

  security_rule {
    name                       = "AllowHttpIn"
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

resource "azurerm_public_ip" "nat_ip" {
  name                = "nat-ip"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_nat_gateway" "nat_app" {
  name                    = "nat-app"
  location                = azurerm_resource_group.main.location
  resource_group_name     = azurerm_resource_group.main.name
  sku_name                = "Standard"
  idle_timeout_in_minutes = 4
}

resource "azurerm_nat_gateway_public_ip_association" "nat_app_nat_ip" {
  nat_gateway_id       = azurerm_nat_gateway.nat_app.id
  public_ip_address_id = azurerm_public_ip.nat_ip.id
}

resource "azurerm_virtual_network" "vnet_prod" {
  name                = "vnet-prod"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  address_space       = ["10.0.0.0/16"]
}

resource "azurerm_subnet" "app" {
  name                            = "app"
  resource_group_name             = azurerm_resource_group.main.name
  virtual_network_name            = azurerm_virtual_network.vnet_prod.name
  address_prefixes                = ["10.0.2.0/24"]
  default_outbound_access_enabled = true
}

resource "azurerm_subnet_nat_gateway_association" "app" {
  subnet_id      = azurerm_subnet.app.id
  nat_gateway_id = azurerm_nat_gateway.nat_app.id
}

resource "azurerm_subnet" "web" {
  name                            = "web"
  resource_group_name             = azurerm_resource_group.main.name
  virtual_network_name            = azurerm_virtual_network.vnet_prod.name
  address_prefixes                = ["10.0.1.0/24"]
  default_outbound_access_enabled = true
}

resource "azurerm_subnet_network_security_group_association" "web" {
  subnet_id                 = azurerm_subnet.web.id
  network_security_group_id = azurerm_network_security_group.web_nsg.id
}

resource "azurerm_lb" "lb_web" {
  name                = "lb-web"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "Standard"

  frontend_ip_configuration {
    name                 = "lb-ip"
    public_ip_address_id = azurerm_public_ip.lb_ip.id
  }
}

resource "azurerm_lb_backend_address_pool" "lb_web" {
  name            = "backend-pool"
  loadbalancer_id = azurerm_lb.lb_web.id
}

resource "azurerm_lb_probe" "lb_web" {
  name                = "health-probe"
  loadbalancer_id     = azurerm_lb.lb_web.id
  protocol            = "Http"
  port                = 80
  request_path        = "/healthz"
  interval_in_seconds = 5
  number_of_probes    = 2
}

resource "azurerm_lb_rule" "lb_web_http" {
  name                           = "http"
  loadbalancer_id                = azurerm_lb.lb_web.id
  frontend_ip_configuration_name = "lb-ip"
  protocol                       = "Tcp"
  frontend_port                  = 80
  backend_port                   = 80
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.lb_web.id]
  probe_id                       = azurerm_lb_probe.lb_web.id
  idle_timeout_in_minutes        = 4
  tcp_reset_enabled              = false
  disable_outbound_snat          = false
}

resource "azurerm_network_interface" "app" {
  count = 2

  name                = "app-${count.index + 1}-nic"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name

  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = azurerm_subnet.app.id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_linux_virtual_machine" "app" {
  # 2 identical VMs: app-1 and app-2
  count = 2

  name                  = "app-${count.index + 1}"
  location              = azurerm_resource_group.main.location
  resource_group_name   = azurerm_resource_group.main.name
  size                  = var.vm_size
  admin_username        = var.admin_username
  network_interface_ids = [azurerm_network_interface.app[count.index].id]

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

resource "azurerm_network_interface" "web" {
  count = 3

  name                = "web-${count.index + 1}-nic"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name

  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = azurerm_subnet.web.id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_network_interface_backend_address_pool_association" "web_lb_web" {
  count = 3

  network_interface_id    = azurerm_network_interface.web[count.index].id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.lb_web.id
}

resource "azurerm_linux_virtual_machine" "web" {
  # 3 identical VMs: web-1 to web-3
  count = 3

  name                  = "web-${count.index + 1}"
  location              = azurerm_resource_group.main.location
  resource_group_name   = azurerm_resource_group.main.name
  size                  = var.vm_size
  admin_username        = var.admin_username
  network_interface_ids = [azurerm_network_interface.web[count.index].id]

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

output "nat_ip_address" {
  description = "the address Azure assigned to public IP nat-ip"
  value       = azurerm_public_ip.nat_ip.ip_address
}
