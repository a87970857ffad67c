"""Qode kiosk daemon: button, printer and ticket layout (built in the kiosk issue)."""
