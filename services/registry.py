"""The three services and where their app modules live (the composition root's table)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    module: str
    port: int
    title: str

    def load(self) -> ModuleType:
        """The service's `app` module: SPEC, Settings, create_app."""
        return importlib.import_module(self.module)


SERVICES: dict[str, ServiceEntry] = {
    "roadkill": ServiceEntry("roadkill", "services.roadkill.app", 8001, "Roadkill report router (Chungcheongnam-do)"),
    "peaks": ServiceEntry("peaks", "services.peaks.app", 8002, "Yeongnam Alps summit certification (Ulju-gun)"),
    "onestop": ServiceEntry("onestop", "services.onestop.app", 8003, "One-stop referral hub (Buk-gu, Gwangju)"),
}
