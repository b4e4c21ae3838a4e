"""Locate an Open311 request that names a place instead of giving lat/long (pure, no HTTP).

GeoReport v2 asks for one of `lat`+`long`, `address_string` or `address_id`. The service has no street
address register, so it locates an address at the census area it names:

- `address_id` is the code of a census area (`asan` for a city or county, `3420025` for an eup, myeon
  or dong: `GET /v1/geodata/areas.geojson` lists them);
- `address_string` is read for the names of a city or county and of an eup, myeon or dong, in Korean or
  in English (`충남 아산시 배방읍 …`, `Baebang-eup, Asan-si`).

The point is the eup/myeon/dong's interior point, or the city or county hall: approximate by design,
and said so in the answer. An address naming no area of the province is refused (400 naming the field).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import shapely

from services.roadkill.domain.areas import Area, AreaIndex

_TOKEN = re.compile(r"[\s,()]+")


@dataclass(frozen=True, slots=True)
class Located:
    lat: float
    lon: float
    area: Area

    @property
    def notice(self) -> str:
        return (f"Located from the address at {self.area.name} ({self.area.name_ko}), an approximate point "
                f"({self.lat:.5f}, {self.lon:.5f}): send lat/long for the exact road. ")


class AddressError(ValueError):
    """The address names no area of the province; the message says what to send instead."""


def _norm(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _point(area: Area) -> Located:
    if area.seat is not None:  # a city or county: its hall
        return Located(lat=area.seat[1], lon=area.seat[0], area=area)
    p = shapely.point_on_surface(area.geometry)
    return Located(lat=round(float(p.y), 6), lon=round(float(p.x), 6), area=area)


def by_id(areas: AreaIndex, address_id: str) -> Located:
    area = areas.by_code.get(address_id.strip())
    if area is None or area not in (*areas.municipalities, *areas.districts):
        raise AddressError(f"address_id: {address_id[:40]!r} is not the code of a city, county, eup, myeon or "
                           "dong of Chungcheongnam-do (GET /v1/geodata/areas.geojson lists them); or send lat and long")
    return _point(area)


def _names(area: Area) -> tuple[str, ...]:
    return tuple(n for n in (_norm(area.name_ko), _norm(area.name)) if n)


def _short(area: Area) -> str:
    """"Asan-si" is also written "Asan" (and "Baebang-eup" "Baebang"): the name before the last hyphen."""
    return _norm(area.name.rsplit("-", 1)[0]) if "-" in area.name else ""


def _named(areas: tuple[Area, ...], text: str, tokens: set[str]) -> list[Area]:
    """The areas whose name the text holds, leaving out one whose name is part of another's found name
    (남면 inside 운남면)."""
    found = [(a, n) for a in areas for n in _names(a) if n in text]
    found += [(a, _short(a)) for a in areas if _short(a) in tokens]
    longest = {a.code: max(len(n) for b, n in found if b is a) for a, _ in found}
    return [a for a, n in dict.fromkeys(found) if len(n) == longest[a.code]
            and not any(n != m and n in m for _, m in found)]


def locate(areas: AreaIndex, address: str) -> Located:
    """The most precise census area the address names (an eup/myeon/dong inside the named city or county)."""
    text = _norm(address)
    tokens = {_norm(t) for t in _TOKEN.split(address)} - {""}
    municipalities = list(dict.fromkeys(_named(areas.municipalities, text, tokens)))
    codes = {m.code for m in municipalities}
    districts = [d for d in dict.fromkeys(_named(areas.districts, text, tokens))
                 if not municipalities or d.municipality in codes]
    if len(districts) == 1:
        return _point(districts[0])
    if len(municipalities) == 1:
        return _point(municipalities[0])
    raise AddressError("address_string: names no single city or county of Chungcheongnam-do (e.g. 아산시 or "
                       "Asan-si, with an eup, myeon or dong for a closer point); or send lat and long")
