// "VM in a load-balanced pool", exported by Outbound Designer VERSION from
// 02-load-balanced-vm.outbound.json.
//
// Azure retired Basic load balancers and Basic public IPs on 30 September 2025: this design, drawn
// with classic (Basic) semantics, is exported as its Standard equivalent (modern semantics).
//
// Deploys 1 virtual network, 1 subnet, 1 network security group, 1 public IP, 1 load balancer and 1
// Linux VM with its NIC.
//
// Left out, because they are not infrastructure: traffic generator client; Internet endpoint
// api.contoso.example; the simulation settings (seed 7). Azure assigns public IP addresses, so the
// drawn ones (lb-ip 52.0.0.10) are not deployed; the outputs show the real ones.
//
// Simulation of the design as drawn: simulated 600 s at 2 flows/s (seed 7, classic semantics): no
// SNAT failures; web-1 peaks at 539 of 1,024 ports.
//
// Its Standard equivalent (what this file deploys) simulates the same.
//
// 1 VM drawn without a subnet (web-1) goes into subnet default (10.255.0.0/16, the subnet the
// simulator implies) of a new virtual network vnet.
//
// lb: Basic -> Standard load balancer; outbound rule outbound gives its pool VM the 1,024 SNAT
// ports it had (through this load balancer, M-A5) through frontend lb-ip for TCP and UDP (M-A7);
// its load-balancing rules set disableOutboundSnat (M-B5); its probe keeps 2 consecutive results
// per change as probeThreshold (M-B12).
//
// 1 public IP (lb-ip) Basic -> Standard (static allocation).
//
// NSG web-1-nsg added on the NIC of web-1: Standard load balancers and public IPs are closed
// inbound until an NSG allows (M-B1); it allows what the Basic resources left open: TCP to port 80
// from the Internet.
//
// Deploy: az deployment group create --resource-group MY-GROUP --template-file FILE.bicep
// --parameters adminSshPublicKey="$(cat ~/.ssh/id_ed25519.pub)" (az bicep build --file FILE.bicep
// gives the ARM template)

@description('Azure region of every resource (default: the resource group\'s)')
param location string = resourceGroup().location

@description('administrator account of every VM')
param adminUsername string = 'azureuser'

@description('SSH public key of adminUsername on every VM (for example the contents of ~/.ssh/id_ed25519.pub); password sign-in is off')
param adminSshPublicKey string

@description('size of every VM')
param vmSize string = 'Standard_B2s'

@description('image of every VM (a Linux image: the VMs sign in with SSH keys)')
param vmImage object = {
  publisher: 'Canonical'
  offer: 'ubuntu-24_04-lts'
  sku: 'server'
  version: 'latest'
}

var linuxConfiguration = {
  disablePasswordAuthentication: true
  ssh: {
    publicKeys: [
      {
        path: '/home/${adminUsername}/.ssh/authorized_keys'
        keyData: adminSshPublicKey
      }
    ]
  }
}

// added for the Standard equivalent: allows what the Basic resources left open inbound
resource web1Nsg 'Microsoft.Network/networkSecurityGroups@2025-05-01' = {
  name: 'web-1-nsg'
  location: location
  properties: {
    securityRules: [
      {
        name: 'Allow-lb-http'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '80'
        }
      }
    ]
  }
}

resource lbIp 'Microsoft.Network/publicIPAddresses@2025-05-01' = {
  name: 'lb-ip'
  location: location
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: 'vnet'
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: [
        '10.255.0.0/16'
      ]
    }
    subnets: [
      {
        name: 'default'
        properties: {
          addressPrefix: '10.255.0.0/16'
          defaultOutboundAccess: true
        }
      }
    ]
  }
}

resource defaultSubnet 'Microsoft.Network/virtualNetworks/subnets@2025-05-01' existing = {
  parent: vnet
  name: 'default'
}

// drawn as a Basic load balancer: this is its Standard equivalent
resource lb 'Microsoft.Network/loadBalancers@2025-05-01' = {
  name: 'lb'
  location: location
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    frontendIPConfigurations: [
      {
        name: 'lb-ip'
        properties: {
          publicIPAddress: {
            id: lbIp.id
          }
        }
      }
    ]
    backendAddressPools: [
      {
        name: 'backend-pool'
      }
    ]
    probes: [
      {
        name: 'health-probe'
        properties: {
          protocol: 'Tcp'
          port: 80
          intervalInSeconds: 15
          numberOfProbes: 2
          probeThreshold: 2
        }
      }
    ]
    loadBalancingRules: [
      {
        name: 'http'
        properties: {
          frontendIPConfiguration: {
            id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb', 'lb-ip')
          }
          backendAddressPool: {
            id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'backend-pool')
          }
          probe: {
            id: resourceId('Microsoft.Network/loadBalancers/probes', 'lb', 'health-probe')
          }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: 80
          idleTimeoutInMinutes: 4
          enableTcpReset: false
          disableOutboundSnat: true
        }
      }
    ]
    outboundRules: [
      {
        name: 'outbound'
        properties: {
          frontendIPConfigurations: [
            {
              id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb', 'lb-ip')
            }
          ]
          backendAddressPool: {
            id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'backend-pool')
          }
          protocol: 'All'
          allocatedOutboundPorts: 1024
          idleTimeoutInMinutes: 4
          enableTcpReset: false
        }
      }
    ]
  }
}

resource lbBackendPool 'Microsoft.Network/loadBalancers/backendAddressPools@2025-05-01' existing = {
  parent: lb
  name: 'backend-pool'
}

resource web1Nic 'Microsoft.Network/networkInterfaces@2025-05-01' = {
  name: 'web-1-nic'
  location: location
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          subnet: {
            id: defaultSubnet.id
          }
          privateIPAllocationMethod: 'Dynamic'
          loadBalancerBackendAddressPools: [
            {
              id: lbBackendPool.id
            }
          ]
        }
      }
    ]
    networkSecurityGroup: {
      id: web1Nsg.id
    }
  }
}

resource web1 'Microsoft.Compute/virtualMachines@2025-04-01' = {
  name: 'web-1'
  location: location
  properties: {
    hardwareProfile: {
      vmSize: vmSize
    }
    storageProfile: {
      imageReference: vmImage
      osDisk: {
        createOption: 'FromImage'
        managedDisk: {
          storageAccountType: 'StandardSSD_LRS'
        }
        deleteOption: 'Delete'
      }
    }
    osProfile: {
      computerName: 'web-1'
      adminUsername: adminUsername
      linuxConfiguration: linuxConfiguration
    }
    networkProfile: {
      networkInterfaces: [
        {
          id: web1Nic.id
          properties: {
            deleteOption: 'Delete'
          }
        }
      ]
    }
  }
}

@description('the address Azure assigned to public IP lb-ip')
output lbIpAddress string = lbIp.properties.ipAddress
