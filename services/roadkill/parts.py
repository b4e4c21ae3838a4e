"""The roadkill service's own platform parts (`platform.parts`), built once with the platform."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from services.roadkill.domain import dedup, network
from shared.platform import Platform

if TYPE_CHECKING:
    from services.roadkill.domain.svgmap import Projection


@dataclass(frozen=True, slots=True)
class MapBase:
    """The map page's projection and its base layers (areas and roads as SVG), drawn once."""

    projection: Projection
    layers: str


@dataclass(frozen=True)
class RoadkillParts:
    """Dedup thresholds from the settings; the road network and the map's base layers are costly to
    build, so each is built on first use (the app's start-up loads the network) and then kept."""

    dedup_params: dedup.DedupParams

    @cached_property
    def network(self) -> network.RoadNetwork:
        """The shipped (or configured) road network."""
        return network.default_network()

    @cached_property
    def map_base(self) -> MapBase:
        from services.roadkill.domain import svgmap  # the trainer pages' drawing code, only when drawn

        proj = svgmap.projection_for(svgmap.map_bbox(self.network.areas))
        return MapBase(proj, svgmap.base_layers(self.network, proj))


def build_parts(platform: Platform[RoadkillParts]) -> RoadkillParts:
    s = platform.settings
    return RoadkillParts(dedup_params=dedup.DedupParams(
        distance_m=s.dedup_distance_m, window=timedelta(hours=s.dedup_window_h),
        heading_tolerance_deg=s.dedup_heading_tolerance_deg))


# What roadkill code takes as `platform`: the shared platform with these parts.
RoadkillPlatform = Platform[RoadkillParts]
