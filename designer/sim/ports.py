"""SNAT port budgets and timers: the documented numbers, in one place.

Every figure here is cited by the rule that defines it (section 9 of azure-outbound-rules.md).
"""
from __future__ import annotations

import math

#: M-A5 / M-B4: default preallocation per NIC IP configuration by backend pool size
#: (upper bound of the tier, ports per instance per protocol)
TIERS: tuple[tuple[int, int], ...] = (
    (50, 1024), (100, 512), (200, 256), (400, 128), (800, 64), (1000, 32))
#: the largest pool the table documents
TIER_TABLE_MAX_POOL = TIERS[-1][0]

#: M-A5: 2017 hard cap of SNAT ports per public IP (65,535 - 1,024 privileged)
CLASSIC_PORTS_PER_IP = 64_511
#: M-B3: SNAT ports per load balancer frontend IP (2018+)
MODERN_PORTS_PER_IP = 64_000
#: M-B3: a frontend port of an LB rule on an outbound IP costs its block of 8 ports
PORT_BLOCK = 8
#: M-B4: modern cap of the default allocation
MODERN_DEFAULT_CAP = 1024
#: M-B8: NAT gateway inventory per public IP and protocol; at most 16 IPs
NAT_PORTS_PER_IP = 64_512
NAT_MAX_IPS = 16
#: M-B8: concurrent connections per NAT public IP towards one destination endpoint
NAT_MAX_PER_DESTINATION = 50_000
#: first SNAT port number (labels only; the 1,024 privileged ports are never used)
FIRST_SNAT_PORT = 1024

#: C9: LB / default SNAT release after close
RELEASE_FIN_S = 240.0
RELEASE_RST_S = 15.0
#: C9 / M-A8 / M-B9 / M-B11: the default idle timeout (4 minutes)
IDLE_TIMEOUT_S = 240.0
#: M-B9: NAT gateway UDP idle timeout is fixed at 4 minutes
NAT_UDP_IDLE_S = 240.0

#: M-B9: NAT gateway cool-downs per (port, destination) after close, by documented version
NAT_TIMERS: dict[str, dict[str, float]] = {
    "2021": {"fin": 60.0, "rst": 10.0, "half_open": 30.0, "udp": 0.0},
    "2022": {"fin": 65.0, "rst": 20.0, "half_open": 25.0, "udp": 65.0},
    "2023": {"fin": 65.0, "rst": 16.0, "half_open": 30.0, "udp": 65.0},
}


def tier_ports(pool_size: int) -> int:
    """M-A5 / M-B4: ports per instance for a pool of ``pool_size`` (1,000+ stays at 32; the
    caller reports that such a pool is beyond the documented table)."""
    for upper, ports in TIERS:
        if pool_size <= upper:
            return ports
    return TIERS[-1][1]


def modern_default_ports(pool_size: int, frontends: int) -> int:
    """M-B4: MIN(table(pool size) x F, 1,024), F = frontend IPs associated with the pool."""
    return min(tier_ports(pool_size) * max(frontends, 1), MODERN_DEFAULT_CAP)


def frontend_capacity(rule_frontend_ports: list[int] | tuple[int, ...] | set[int]) -> int:
    """M-B3: 64,000 minus 8 for every distinct 8-port block holding an LB rule frontend port."""
    blocks = {port // PORT_BLOCK for port in rule_frontend_ports}
    return MODERN_PORTS_PER_IP - PORT_BLOCK * len(blocks)


def round_down_to_block(ports: float) -> int:
    """M-B5: per-instance limits are rounded down to multiples of 8 (the 6,392 message)."""
    return int(math.floor(ports / PORT_BLOCK)) * PORT_BLOCK


def max_ports_per_instance(capacity_total: int, instances: int) -> int:
    """M-B5 / I15: the largest allocation per instance that fits (e.g. 6,392 for 10 instances
    on one IP with one LB rule)."""
    return round_down_to_block(capacity_total / max(instances, 1))
