"""A live subscription: ``azure:SUBSCRIPTION/RESOURCE_GROUP`` read through the Azure SDK.

The code that talks to Azure is :class:`SdkReader`, and it is thin: it signs in with
``DefaultAzureCredential`` (the ``az login`` session, environment variables, a managed
identity), calls the list operations of the network, compute and resource clients for one
resource group and hands back each item in the REST shape (:func:`rest_shape`).
Everything after that is the resolved-resources path. The SDK is the optional extra
``pip install "outbound-designer[azure]"``; it is imported only here, only when used.

Tests (and anyone replaying a capture) use :class:`RecordedReader` instead: the same
interface over a JSON object of recorded responses, ``{"operation": [items...]}``.
"""
from __future__ import annotations

import json
import re
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from .errors import ImportFailure
from .inventory import AzureResource, norm_id
from .resources import to_resource

#: (client, operation): the list calls made for one resource group, specific ones first (they
#: carry properties); the generic listing last, so that every other resource is named
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("network", "virtual_networks.list"),
    ("network", "network_security_groups.list"),
    ("network", "route_tables.list"),
    ("network", "public_ip_addresses.list"),
    ("network", "public_ip_prefixes.list"),
    ("network", "nat_gateways.list"),
    ("network", "load_balancers.list"),
    ("network", "network_interfaces.list"),
    ("compute", "virtual_machines.list"),
    ("compute", "virtual_machine_scale_sets.list"),
    ("resource", "resources.list_by_resource_group"),
)
INSTALL_HINT = 'pip install "outbound-designer[azure]"'
_SPEC = re.compile(r"^azure:(?P<subscription>[^/\s]+)/(?P<group>[^/\s]+)/?$", re.IGNORECASE)

Progress = Callable[[int, int, str], None]


class ResourceGroupReader(Protocol):
    """What the live import needs from Azure: the items of one list operation."""

    def list(self, client: str, operation: str, resource_group: str) -> Iterable[dict]: ...


def rest_shape(item: Any) -> dict:
    """An SDK model as the REST API returns it. Models generated from TypeSpec (network 29+,
    compute 35+) are mappings of the wire format (``as_dict()``); older msrest-style models
    give it with ``serialize(keep_readonly=True)`` (their ``as_dict()`` is snake_case)."""
    if hasattr(item, "serialize"):
        return item.serialize(keep_readonly=True)
    return item.as_dict()


def parse_spec(spec: str) -> tuple[str, str]:
    """``azure:SUBSCRIPTION/RESOURCE_GROUP`` -> (subscription, resource group)."""
    match = _SPEC.match(spec.strip())
    if match is None:
        raise ImportFailure(f"{spec}: expected azure:SUBSCRIPTION/RESOURCE_GROUP")
    return match.group("subscription"), match.group("group")


def is_live_spec(text: str) -> bool:
    return text.lower().startswith("azure:")


class SdkReader:
    """The Azure SDK behind :class:`ResourceGroupReader`."""

    def __init__(self, subscription: str, credential: Any = None):
        try:
            from azure.identity import DefaultAzureCredential
            from azure.mgmt.compute import ComputeManagementClient
            from azure.mgmt.network import NetworkManagementClient
            try:
                from azure.mgmt.resource import ResourceManagementClient
            except ImportError:  # azure-mgmt-resource 26 moved it into a subpackage
                from azure.mgmt.resource.resources import ResourceManagementClient
        except ImportError:
            raise ImportFailure(f"importing a live subscription needs the Azure SDK: "
                                f"{INSTALL_HINT}") from None
        credential = credential or DefaultAzureCredential()
        self.clients = {"network": NetworkManagementClient(credential, subscription),
                        "compute": ComputeManagementClient(credential, subscription),
                        "resource": ResourceManagementClient(credential, subscription)}

    def list(self, client: str, operation: str, resource_group: str) -> Iterable[dict]:
        call = attrgetter(operation)(self.clients[client])
        for item in call(resource_group):
            yield rest_shape(item)


class RecordedReader:
    """Recorded responses: ``{"network/virtual_networks.list": [items...], ...}``."""

    def __init__(self, recording: dict[str, list[dict]]):
        self.recording = recording

    @classmethod
    def from_file(cls, path: str | Path) -> "RecordedReader":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def list(self, client: str, operation: str, resource_group: str) -> Iterable[dict]:
        return list(self.recording.get(f"{client}/{operation}", []))


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def read_live(spec: str, reader: ResourceGroupReader | None = None,
              progress: Progress | None = None) -> list[AzureResource]:
    """The resources of one resource group, through ``reader`` (the SDK by default)."""
    subscription, group = parse_spec(spec)
    if reader is None:
        reader = SdkReader(subscription)
    seen: dict[str, AzureResource] = {}
    for step, (client, operation) in enumerate(OPERATIONS):
        if progress is not None:
            progress(step, len(OPERATIONS), f"{client}: {operation.replace('.', ' ')}")
        try:
            items = list(reader.list(client, operation, group))
        except ImportFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - the SDK's errors are many; report one line
            raise ImportFailure(f"{spec}: {operation} failed: {type(exc).__name__}: "
                                f"{_one_line(exc)}") from None
        for index, item in enumerate(items):
            resource = to_resource(item, f"{spec} {client}/{operation}[{index}]")
            seen.setdefault(norm_id(resource.id), resource)
    if progress is not None:
        progress(len(OPERATIONS), len(OPERATIONS), "done")
    return list(seen.values())
