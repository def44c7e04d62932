"""Stacking order of everything on the canvas, in one place.

grid < containers < links < flow animation < nodes < labels < gauges < handles.
The grid is painted in ``drawBackground`` (below every item); the constant is kept for
overlays that want to sit with it.
"""
GRID = -1000.0
#: VNet boxes sit below subnet boxes so a subnet drawn inside a VNet stays clickable
VNET = -200.0
SUBNET = -100.0
CONTAINER = SUBNET
LINKS = 0.0
FLOWS = 100.0
NODES = 200.0
LABELS = 300.0
GAUGES = 400.0
HANDLES = 500.0
#: the rubber line drawn while a connection is being dragged
CONNECT_PREVIEW = 600.0
