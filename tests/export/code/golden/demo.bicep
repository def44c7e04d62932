// "Demo: SNAT exhaustion and its fixes", exported by Outbound Designer VERSION from
// demo.outbound.json.
//
// Deploys 1 virtual network, 2 subnets, 1 network security group, 2 public IPs, 1 load balancer, 1
// NAT gateway and 5 Linux VMs with their NICs.
//
// Left out, because they are not infrastructure: traffic generators flood (new connection per
// request), nslookup myip, pooled client (8 connections); Internet endpoints api.contoso.example,
// resolver1.opendns.com; the simulation settings (seed 42). Azure assigns public IP addresses, so
// the drawn ones (lb-ip 52.0.0.10, nat-ip 20.10.0.1) are not deployed; the outputs show the real
// ones.
//
// Simulation of the design as drawn: simulated 600 s at 0.2-10 flows/s (seed 42, modern semantics):
// 2,914 of 12,308 flows failed for want of a SNAT port (web-1); web-1 peaks at 1,024 of 1,024
// ports.
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

resource webNsg 'Microsoft.Network/networkSecurityGroups@2025-05-01' = {
  name: 'web-nsg'
  location: location
  properties: {
    securityRules: [
      {
        name: 'AllowHttpIn'
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

resource natIp 'Microsoft.Network/publicIPAddresses@2025-05-01' = {
  name: 'nat-ip'
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

resource natApp 'Microsoft.Network/natGateways@2025-05-01' = {
  name: 'nat-app'
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: natIp.id
      }
    ]
  }
}

resource vnetProd 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: 'vnet-prod'
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: [
        '10.0.0.0/16'
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: '10.0.2.0/24'
          defaultOutboundAccess: true
          natGateway: {
            id: natApp.id
          }
        }
      }
      {
        name: 'web'
        properties: {
          addressPrefix: '10.0.1.0/24'
          defaultOutboundAccess: true
          networkSecurityGroup: {
            id: webNsg.id
          }
        }
      }
    ]
  }
}

resource appSubnet 'Microsoft.Network/virtualNetworks/subnets@2025-05-01' existing = {
  parent: vnetProd
  name: 'app'
}

resource webSubnet 'Microsoft.Network/virtualNetworks/subnets@2025-05-01' existing = {
  parent: vnetProd
  name: 'web'
}

resource lbWeb 'Microsoft.Network/loadBalancers@2025-05-01' = {
  name: 'lb-web'
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
          protocol: 'Http'
          port: 80
          requestPath: '/healthz'
          intervalInSeconds: 5
          numberOfProbes: 2
        }
      }
    ]
    loadBalancingRules: [
      {
        name: 'http'
        properties: {
          frontendIPConfiguration: {
            id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-web', 'lb-ip')
          }
          backendAddressPool: {
            id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-web', 'backend-pool')
          }
          probe: {
            id: resourceId('Microsoft.Network/loadBalancers/probes', 'lb-web', 'health-probe')
          }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: 80
          idleTimeoutInMinutes: 4
          enableTcpReset: false
          disableOutboundSnat: false
        }
      }
    ]
  }
}

resource lbWebBackendPool 'Microsoft.Network/loadBalancers/backendAddressPools@2025-05-01' existing = {
  parent: lbWeb
  name: 'backend-pool'
}

resource appNic 'Microsoft.Network/networkInterfaces@2025-05-01' = [for i in range(0, 2): {
  name: 'app-${i + 1}-nic'
  location: location
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          subnet: {
            id: appSubnet.id
          }
          privateIPAllocationMethod: 'Dynamic'
        }
      }
    ]
  }
}]

resource webNic 'Microsoft.Network/networkInterfaces@2025-05-01' = [for i in range(0, 3): {
  name: 'web-${i + 1}-nic'
  location: location
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          subnet: {
            id: webSubnet.id
          }
          privateIPAllocationMethod: 'Dynamic'
          loadBalancerBackendAddressPools: [
            {
              id: lbWebBackendPool.id
            }
          ]
        }
      }
    ]
  }
}]

// 2 identical VMs: app-1 and app-2
resource app 'Microsoft.Compute/virtualMachines@2025-04-01' = [for i in range(0, 2): {
  name: 'app-${i + 1}'
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
      computerName: 'app-${i + 1}'
      adminUsername: adminUsername
      linuxConfiguration: linuxConfiguration
    }
    networkProfile: {
      networkInterfaces: [
        {
          id: appNic[i].id
          properties: {
            deleteOption: 'Delete'
          }
        }
      ]
    }
  }
}]

// 3 identical VMs: web-1 to web-3
resource web 'Microsoft.Compute/virtualMachines@2025-04-01' = [for i in range(0, 3): {
  name: 'web-${i + 1}'
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
      computerName: 'web-${i + 1}'
      adminUsername: adminUsername
      linuxConfiguration: linuxConfiguration
    }
    networkProfile: {
      networkInterfaces: [
        {
          id: webNic[i].id
          properties: {
            deleteOption: 'Delete'
          }
        }
      ]
    }
  }
}]

@description('the address Azure assigned to public IP lb-ip')
output lbIpAddress string = lbIp.properties.ipAddress

@description('the address Azure assigned to public IP nat-ip')
output natIpAddress string = natIp.properties.ipAddress
