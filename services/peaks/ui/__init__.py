"""The trainer's web pages of the peaks service (`pages`): `routers` are mounted by `app.py`."""
from services.peaks.ui.pages import routers

__all__ = ["routers"]
