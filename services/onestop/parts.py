"""The onestop service's own platform parts (`platform.parts`), built once with the platform."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import anyio

from shared.platform import Platform

# Threads of the agencies' list read on a server database (flows/agency_list.py explains the measurements).
AGENCY_READERS = 4


@dataclass(frozen=True)
class OnestopParts:
    """Per running service, not per process: two apps in one process (tests, the demo) share nothing."""

    agency_reader_threads: int = AGENCY_READERS

    @cached_property
    def agency_readers(self) -> anyio.CapacityLimiter:
        """The few worker threads the agencies' list reads run on (PostgreSQL); made on first use, inside
        the event loop that serves the requests."""
        return anyio.CapacityLimiter(self.agency_reader_threads)


def build_parts(platform: Platform[OnestopParts]) -> OnestopParts:
    return OnestopParts()


# What onestop code takes as `platform`: the shared platform with these parts.
OnestopPlatform = Platform[OnestopParts]
