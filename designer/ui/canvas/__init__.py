"""The diagram canvas: a scene mirroring the model, its items, interactions and views."""
from .scene import CLIPBOARD_MIME, DiagramScene
from .view import KIND_MIME, DiagramView, Overview

__all__ = ["CLIPBOARD_MIME", "KIND_MIME", "DiagramScene", "DiagramView", "Overview"]
