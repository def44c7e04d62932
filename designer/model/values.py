"""Parsing of the small value languages in scenario files: addresses, service tags, ports.

Used by the loader (to refuse bad values with a JSON path), the validator and the engine
(which needs the parsed form), so each grammar is defined once.
"""
from __future__ import annotations

import ipaddress

#: the address that Azure health probes and platform services come from (C5, M-A10, M-B12)
AZURE_PLATFORM_IP = "168.63.129.16"

#: service tags: every accepted spelling -> canonical name (C5, M-A11 classic upper case)
SERVICE_TAGS = {
    "Internet": "Internet", "INTERNET": "Internet",
    "VirtualNetwork": "VirtualNetwork", "VIRTUAL_NETWORK": "VirtualNetwork",
    "AzureLoadBalancer": "AzureLoadBalancer", "AZURE_LOADBALANCER": "AzureLoadBalancer",
    "AzurePlatformDNS": "AzurePlatformDNS", "AzurePlatformIMDS": "AzurePlatformIMDS",
    "AzurePlatformLKM": "AzurePlatformLKM",
}


def parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(text)
    except (ValueError, TypeError):
        return None


def parse_cidr(text: str) -> ipaddress.IPv4Network | None:
    """A CIDR (host bits allowed, as Azure accepts them) or None."""
    if not isinstance(text, str) or "/" not in text:
        return None
    try:
        return ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return None


def address_problem(text: str) -> str | None:
    """None when ``text`` is an NSG address (``*``, IPv4, CIDR or service tag)."""
    if text == "*" or text in SERVICE_TAGS:
        return None
    if parse_ipv4(text) is not None or parse_cidr(text) is not None:
        return None
    return (f"expected '*', an IPv4 address, a CIDR or a service tag "
            f"({', '.join(sorted(set(SERVICE_TAGS.values())))}), got {text!r}")


def parse_ports(text: str) -> tuple[tuple[int, int], ...] | None:
    """``*`` -> None (any port); ``80``, ``1000-2000``, ``80,443`` -> ranges; bad -> ValueError."""
    text = text.strip()
    if text == "*":
        return None
    ranges = []
    for part in text.split(","):
        part = part.strip()
        lo_text, sep, hi_text = part.partition("-")
        if not lo_text.isdigit() or (sep and not hi_text.isdigit()):
            raise ValueError(f"expected '*', a port, a range like 1000-2000 or a comma list, "
                             f"got {text!r}")
        lo = int(lo_text)
        hi = int(hi_text) if sep else lo
        if not 0 <= lo <= hi <= 65535:
            raise ValueError(f"port range {part!r} is outside 0-65535 or reversed")
        ranges.append((lo, hi))
    return tuple(ranges)


def port_matches(ranges: tuple[tuple[int, int], ...] | None, port: int) -> bool:
    return ranges is None or any(lo <= port <= hi for lo, hi in ranges)
