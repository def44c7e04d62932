"""The live import's SDK code for real: the Azure SDK's clients (installed by the test extra)
over a fake HTTP transport that answers each list call with the recorded REST responses. No
network, no credentials: the token is fake and the transport never leaves the process."""
from __future__ import annotations

import io
import json

import pytest

pytest.importorskip("azure.mgmt.network")
requests = pytest.importorskip("requests")

from azure.core.credentials import AccessToken, AccessTokenInfo  # noqa: E402
from azure.core.pipeline.transport import HttpTransport  # noqa: E402
from azure.core.rest._requests_basic import RestRequestsTransportResponse  # noqa: E402

from designer.importers import import_sources  # noqa: E402
from designer.importers.azure_live import SdkReader  # noqa: E402

from .helpers import check_scenario, load_fixture  # noqa: E402

SUBSCRIPTION = "bbbbbbbb-0000-0000-0000-000000000002"
#: last segment of a list call's URL -> the recording's operation
ROUTES = {"virtualnetworks": "network/virtual_networks.list",
          "networksecuritygroups": "network/network_security_groups.list",
          "routetables": "network/route_tables.list",
          "publicipaddresses": "network/public_ip_addresses.list",
          "publicipprefixes": "network/public_ip_prefixes.list",
          "natgateways": "network/nat_gateways.list",
          "loadbalancers": "network/load_balancers.list",
          "networkinterfaces": "network/network_interfaces.list",
          "virtualmachines": "compute/virtual_machines.list",
          "virtualmachinescalesets": "compute/virtual_machine_scale_sets.list",
          "resources": "resource/resources.list_by_resource_group"}


class RecordedTransport(HttpTransport):
    def __init__(self, recording: dict):
        self.recording = recording
        self.urls: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send(self, request, **kwargs):
        self.urls.append(request.url)
        assert request.url.lower().startswith("https://management.azure.com/subscriptions/"
                                              f"{SUBSCRIPTION}/resourcegroups/live-rg/")
        segment = request.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1].lower()
        body = json.dumps({"value": self.recording[ROUTES[segment]]}).encode()
        raw = requests.Response()
        raw.status_code, raw._content, raw._content_consumed = 200, body, True
        raw.raw, raw.url = io.BytesIO(body), request.url
        raw.headers["content-type"] = "application/json"
        return RestRequestsTransportResponse(request=request, internal_response=raw)


class FakeToken:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("fake", 9_999_999_999)

    def get_token_info(self, *scopes, **kwargs):
        return AccessTokenInfo("fake", 9_999_999_999)


def test_sdk_reader_over_recorded_http_responses(monkeypatch):
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.network import NetworkManagementClient
    try:
        from azure.mgmt.resource import ResourceManagementClient
    except ImportError:
        from azure.mgmt.resource.resources import ResourceManagementClient
    transport = RecordedTransport(load_fixture("azure_recording.json"))
    for cls in (NetworkManagementClient, ComputeManagementClient, ResourceManagementClient):
        original = cls.__init__

        def init(self, credential, subscription_id, *args, _original=original, **kwargs):
            _original(self, credential, subscription_id, *args, transport=transport, **kwargs)
        monkeypatch.setattr(cls, "__init__", init)
    reader = SdkReader(SUBSCRIPTION, credential=FakeToken())
    scenario, summary = import_sources([f"azure:{SUBSCRIPTION}/live-rg"], azure_reader=reader)
    topology = check_scenario(scenario).topology
    assert topology.subnet_of("api-1") == "api"
    assert topology.node("api-ip").address == "51.104.7.7"
    assert {n.message.split(" not imported")[0] for n in summary.skipped} == {
        "Microsoft.Compute/disks api-1-osdisk", "Microsoft.KeyVault/vaults live-kv"}
    assert len(transport.urls) == len(ROUTES)
