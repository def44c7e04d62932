"""The Qt-free model: typed components on a networkx graph, link rules, files, validation."""
from .components import (COMPONENT_CLASSES, NODE_KINDS, Component, Endpoint, FieldSpec, Hold,
                         LbRule, LoadBalancer, NatGateway, Nsg, NsgRule, OutboundRule, Probe,
                         PublicIp, Subnet, TrafficGenerator, Vm, Vnet, component_class,
                         field_specs, make_component)
from .io import (FORMAT_VERSION, ScenarioFormatError, dumps, load_scenario, loads,
                 save_scenario, to_document)
from .links import LINK_KINDS, LINK_RULES, Link, infer_link_kind, link_kinds_between, why_not
from .options import OPTION_SPECS, effective_options
from .topology import ChangeEvent, Scenario, Topology, TopologyError, new_component

__all__ = [name for name in dir() if not name.startswith("_")]
