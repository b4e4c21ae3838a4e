"""What a synthetic roadkill history looks like (`cpa seed roadkill`): species mix and seasons, months and
hours, time to clear by agency, outcomes (our assumptions; sources in the comments)."""
from __future__ import annotations

from datetime import timedelta

CLOSED_AFTER = timedelta(hours=48)  # older incidents are all closed
OPEN_STATES = ("received", "filed", "assigned", "acknowledged", "dispatched")

# Share of incidents by species (our assumption, after press reports of national 2023 records: cats about
# 48 %, water deer about 23 %; Chungnam's rural roads see relatively more deer and raccoon dogs).
SPECIES_MIX = {
    "cat": 0.40, "water_deer": 0.27, "raccoon_dog": 0.10, "dog": 0.05, "magpie": 0.03, "pheasant": 0.03,
    "wild_boar": 0.02, "badger": 0.02, "roe_deer": 0.01, "leopard_cat": 0.01, "snake": 0.015,
    "frog_toad": 0.015, "unknown": 0.02,
}
# Month multipliers (Jan..Dec) for species with a season; others are flat.
SPECIES_SEASON = {
    "water_deer": (0.7, 0.7, 0.8, 1.0, 1.6, 1.7, 1.0, 0.8, 0.8, 1.0, 1.4, 1.5),
    "frog_toad": (0.1, 0.2, 0.8, 1.5, 1.7, 1.8, 2.0, 1.8, 1.2, 0.5, 0.2, 0.1),
    "snake": (0.0, 0.1, 0.4, 1.2, 1.8, 2.0, 2.0, 2.0, 1.6, 0.7, 0.1, 0.0),
    "raccoon_dog": (0.8, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 1.1, 1.3, 1.4, 1.2, 0.9),
}
# Overall incidents by month (spring dispersal and autumn peaks).
MONTH_WEIGHT = (0.7, 0.7, 0.9, 1.0, 1.4, 1.5, 1.2, 1.0, 1.0, 1.2, 1.2, 0.9)
# Hour of day (local time): dawn and dusk peaks.
HOUR_WEIGHT = (1.0, 0.8, 0.7, 0.8, 1.2, 2.0, 2.2, 1.8, 1.2, 0.8, 0.6, 0.6,
               0.6, 0.6, 0.6, 0.7, 0.9, 1.3, 2.0, 2.4, 2.0, 1.6, 1.3, 1.1)
# Median minutes from report to removal, by agency kind (log-normal, sigma below).
CLEAR_MEDIAN_MIN = {"kec": 45.0, "daejeon-rolm": 95.0, "chungnam-road": 130.0}
CLEAR_MEDIAN_MUNICIPAL = 170.0
CLEAR_SIGMA = 0.6
OUTCOMES = (("removed", 0.90), ("not_found", 0.08), ("duplicate", 0.02))
KST = timedelta(hours=9)
