"""The trainer's web pages of the peaks service (`pages`, `map_page`): `routers` are mounted by `app.py`."""
from services.peaks.ui import map_page, pages

routers = [*pages.routers, map_page.router]

__all__ = ["routers"]
