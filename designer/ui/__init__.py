"""The editor (Qt): main window, canvas, palette, inspector, undo commands, live simulation."""
