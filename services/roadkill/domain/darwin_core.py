"""Darwin Core terms of the occurrence export and the Darwin Core Archive's descriptors (pure, no HTTP).

The archive (GBIF's Darwin Core Text Guide, https://dwc.tdwg.org/text/) is a zip of `occurrence.txt`
(tab-separated, UTF-8, one header line), `meta.xml` (which column holds which term) and `eml.xml` (the
dataset's metadata in EML 2.1.1: title, publisher, licence, geographic and temporal coverage).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from xml.etree import ElementTree as ET

DWC = "http://rs.tdwg.org/dwc/terms/"
DC = "http://purl.org/dc/terms/"
# Darwin Core terms (https://dwc.tdwg.org/terms/), in the order of the CSV header and of occurrence.txt.
TERMS = (
    "occurrenceID", "basisOfRecord", "eventDate", "year", "month", "day", "decimalLatitude", "decimalLongitude",
    "geodeticDatum", "coordinateUncertaintyInMeters", "scientificName", "vernacularName", "taxonRank", "kingdom",
    "individualCount", "occurrenceStatus", "vitality", "identificationVerificationStatus", "country",
    "countryCode", "stateProvince", "municipality", "locality", "institutionCode", "datasetName",
    "occurrenceRemarks", "license", "rightsHolder",
)
_DUBLIN_CORE = {"license", "rightsHolder"}  # record-level terms Darwin Core borrows from Dublin Core

TITLE = "Chungnam roadkill reports (로드킬 바로신고)"
PUBLISHER = "Chungcheongnam-do (충청남도)"
RIGHTS_HOLDER = "Chungcheongnam-do"
LICENSE = "http://creativecommons.org/licenses/by/4.0/legalcode"
LICENSE_TITLE = "Creative Commons Attribution (CC-BY) 4.0 License"
ABSTRACT = ("Animals killed on the roads of Chungcheongnam-do, Republic of Korea, as reported by drivers through "
            "a navigation service's voice assistant and routed to the road agency in charge. One occurrence per "
            "carcass: reports of the same carcass are merged; the species is the driver's unless a road crew "
            "confirmed it on site. Positions are the reporting car's, snapped to the mapped road where one "
            "was near. No personal data.")


def term_uri(term: str) -> str:
    return (DC if term in _DUBLIN_CORE else DWC) + term


def clean(value: object) -> str:
    """A value for a tab-separated file with no enclosing quotes: tabs and line breaks become spaces."""
    return "" if value is None else " ".join(str(value).replace("\t", " ").splitlines())


def meta_xml(core_file: str = "occurrence.txt") -> bytes:
    archive = ET.Element("archive", {"xmlns": "http://rs.tdwg.org/dwc/text/", "metadata": "eml.xml"})
    core = ET.SubElement(archive, "core", {
        "encoding": "UTF-8", "fieldsTerminatedBy": "\\t", "linesTerminatedBy": "\\n", "fieldsEnclosedBy": "",
        "ignoreHeaderLines": "1", "rowType": DWC + "Occurrence"})
    ET.SubElement(ET.SubElement(core, "files"), "location").text = core_file
    ET.SubElement(core, "id", {"index": "0"})
    for i, term in enumerate(TERMS):
        ET.SubElement(core, "field", {"index": str(i), "term": term_uri(term)})
    return ET.tostring(archive, encoding="utf-8", xml_declaration=True)


@dataclass
class Coverage:
    """What the rows cover, gathered while they are written: bounding box and first/last event day."""

    west: float | None = None
    east: float | None = None
    south: float | None = None
    north: float | None = None
    begin: date | None = None
    end: date | None = None

    def add(self, lat: float, lon: float, day: date) -> None:
        self.west = lon if self.west is None else min(self.west, lon)
        self.east = lon if self.east is None else max(self.east, lon)
        self.south = lat if self.south is None else min(self.south, lat)
        self.north = lat if self.north is None else max(self.north, lat)
        self.begin = day if self.begin is None else min(self.begin, day)
        self.end = day if self.end is None else max(self.end, day)


def _party(parent: ET.Element, tag: str, name: str) -> None:
    ET.SubElement(ET.SubElement(parent, tag), "organizationName").text = name


def eml_xml(coverage: Coverage, *, published: date, package_id: str,
            province_bbox: tuple[float, float, float, float]) -> bytes:
    """EML 2.1.1 (the GBIF metadata profile's elements, in the schema's order). With no rows the
    geographic coverage is the province's outline and there is no temporal coverage."""
    ET.register_namespace("eml", "eml://ecoinformatics.org/eml-2.1.1")
    root = ET.Element("{eml://ecoinformatics.org/eml-2.1.1}eml", {
        "packageId": package_id, "system": "urn:chungnam:roadkill", "scope": "system", "xml:lang": "en"})
    ds = ET.SubElement(root, "dataset")
    ET.SubElement(ds, "title", {"xml:lang": "en"}).text = TITLE
    _party(ds, "creator", PUBLISHER)
    _party(ds, "metadataProvider", PUBLISHER)
    ET.SubElement(ds, "pubDate").text = published.isoformat()
    ET.SubElement(ds, "language").text = "en"
    ET.SubElement(ET.SubElement(ds, "abstract"), "para").text = ABSTRACT
    para = ET.SubElement(ET.SubElement(ds, "intellectualRights"), "para")
    para.text = f"Rights holder: {RIGHTS_HOLDER}. This work is licensed under a "
    link = ET.SubElement(para, "ulink", {"url": LICENSE})
    ET.SubElement(link, "citetitle").text = LICENSE_TITLE
    link.tail = "."
    cov = ET.SubElement(ds, "coverage")
    geo = ET.SubElement(cov, "geographicCoverage")
    ET.SubElement(geo, "geographicDescription").text = "Chungcheongnam-do, Republic of Korea: its roads"
    west, south, east, north = province_bbox
    if coverage.west is not None:
        west, east, south, north = coverage.west, coverage.east, coverage.south, coverage.north  # type: ignore[assignment]
    box = ET.SubElement(geo, "boundingCoordinates")
    for tag, value in (("westBoundingCoordinate", west), ("eastBoundingCoordinate", east),
                       ("northBoundingCoordinate", north), ("southBoundingCoordinate", south)):
        ET.SubElement(box, tag).text = f"{value:.6f}"
    if coverage.begin is not None and coverage.end is not None:
        dates = ET.SubElement(ET.SubElement(cov, "temporalCoverage"), "rangeOfDates")
        ET.SubElement(ET.SubElement(dates, "beginDate"), "calendarDate").text = coverage.begin.isoformat()
        ET.SubElement(ET.SubElement(dates, "endDate"), "calendarDate").text = coverage.end.isoformat()
    _party(ds, "contact", PUBLISHER)
    _party(ds, "publisher", PUBLISHER)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
