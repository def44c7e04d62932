"""Outbound Designer: draw Azure network topologies and simulate their outbound connections."""
__version__ = "0.1.0"
APP_ID = "io.github.outbound_designer.OutboundDesigner"
