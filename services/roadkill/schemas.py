"""Pydantic request and response models of the roadkill API."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, field_validator

from services.roadkill.domain.reference import default_species
from services.roadkill.domain.report_result import IntakeResult
from shared.pii_guard import RRNGuarded

EVENT_TYPES = ("complaint_registered", "assigned", "acknowledged", "dispatched", "closed", "transferred")


class ReportIn(RRNGuarded):
    """What the navigation partner's voice assistant produced for one driver's report.

    A resident registration number is refused in every field but the driver's words (`transcript`,
    `road_name`), where it is masked before anything parses, stores or forwards them (`shared.pii_guard`).
    """

    model_config = ConfigDict(allow_inf_nan=False, str_strip_whitespace=True)
    rrn_redacted: ClassVar[frozenset[str]] = frozenset({"transcript", "road_name"})

    model_config = {"json_schema_extra": {"examples": [{"reporter": "tmap-user-7f3a", "consent": True, "transcript": "고라니가 2차로에 치여 있어요", "lat": 36.86, "lon": 127.1652, "accuracy_m": 8, "heading_deg": 185, "speed_kmh": 92, "road_name": "경부고속도로", "reported_at": "2026-05-04T07:42:10+09:00"}]}}

    reporter: str = Field(min_length=1, max_length=128,
                          description="The partner's pseudonymous subscriber id; stored only as a keyed hash")
    # Strict: legal consent is the JSON literal `true`, never a string like "yes" coerced to it.
    consent: StrictBool = Field(description="The driver agreed to the use of personal information; must be true")
    transcript: str = Field(min_length=1, max_length=2000, description="What the driver said (Korean or English)")
    lat: float = Field(ge=-90, le=90, description="WGS84 latitude of the car when reporting")
    lon: float = Field(ge=-180, le=180, description="WGS84 longitude")
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, description="GPS accuracy (m)")
    heading_deg: float | None = Field(default=None, ge=0, le=360, description="Direction of travel, ° from north")
    speed_kmh: float | None = Field(default=None, ge=0, le=400)
    road_name: str | None = Field(default=None, max_length=200, description="Road the navigation app was on")
    reported_at: AwareDatetime = Field(description="When the driver spoke, with a UTC offset")

    @field_validator("consent")
    @classmethod
    def _consent_given(cls, v: bool) -> bool:
        if v is not True:
            raise ValueError("must be true: the driver's consent to use personal information is required")
        return v


class SpeciesOut(BaseModel):
    code: str
    name_en: str
    name_ko: str
    confidence: float
    matched: str | None = None


class DecisionOut(BaseModel):
    """The jurisdiction decision: which road, which agency, and why."""

    road_id: str | None
    road_name: str | None
    road_name_ko: str | None
    road_class: str | None
    agency: str
    agency_name: str
    agency_name_ko: str
    distance_m: float | None
    measure_m: float | None
    snapped_lat: float | None
    snapped_lon: float | None
    road_bearing_deg: float | None
    carriageway: str | None
    divided: bool
    municipality: str
    urban: bool
    explanation: str
    explanation_ko: str


class ReportAccepted(BaseModel):
    report_id: str
    incident_id: str
    merged: bool = Field(description="True when the report joined an open incident of the same carcass")
    report_count: int
    species: SpeciesOut
    lane: str | None
    side: str | None
    status: str
    decision: DecisionOut


class EventIn(RRNGuarded):
    """An agency's step on an incident; which fields are needed depends on `type`. A resident registration
    number is refused in every field and masked in the free text (`note`, `reason`)."""

    model_config = ConfigDict(str_strip_whitespace=True)
    rrn_redacted: ClassVar[frozenset[str]] = frozenset({"note", "reason"})

    model_config = {"json_schema_extra": {"examples": [{"type": "closed", "version": 5, "outcome": "removed", "species_confirmed": "water_deer", "note": "carcass removed and disposed of"}]}}

    type: Literal["complaint_registered", "assigned", "acknowledged", "dispatched", "closed", "transferred"]
    version: int | None = Field(default=None, ge=1, description="The incident version you read (optimistic lock)")
    complaint_no: str | None = Field(default=None, min_length=1, max_length=40,
                                     description="complaint_registered: ACRC's civil complaint number")
    agency: str | None = Field(default=None, max_length=40,
                               description="assigned: the road agency in charge (default: the routing decision)")
    outcome: Literal["removed", "not_found", "duplicate"] | None = Field(default=None, description="closed")
    species_confirmed: str | None = Field(default=None, max_length=32, description="closed: species on site")
    duplicate_of: str | None = Field(default=None, max_length=40, description="closed/duplicate: the other incident")
    to_agency: str | None = Field(default=None, max_length=40, description="transferred: the agency in charge")
    reason: str | None = Field(default=None, min_length=1, max_length=500, description="transferred: why")
    note: str | None = Field(default=None, max_length=1000, description="free text for the record")


class EventAccepted(BaseModel):
    incident_id: str
    status: str
    agency: str
    version: int
    allowed_next: list[str]



def species_out(code: str, confidence: float, matched: str | None = None) -> SpeciesOut:
    sp = default_species().by_code.get(code)
    return SpeciesOut(code=code, name_en=sp.name_en if sp else code, name_ko=sp.name_ko if sp else code,
                      confidence=confidence, matched=matched)


def report_accepted(r: IntakeResult) -> ReportAccepted:
    """What the partner gets back for a stored voice report."""
    return ReportAccepted(report_id=r.report_id, incident_id=r.incident_id, merged=r.merged,
                          report_count=r.report_count, species=species_out(r.species, r.species_confidence, r.matched),
                          lane=r.lane, side=r.side, status=r.status, decision=DecisionOut(**r.decision.as_dict()))


# Open311 GeoReport v2 documents (the OpenAPI shapes of /open311/v2; the documents are built by
# domain.georeport)


class Open311Error(BaseModel):
    code: int = Field(description="HTTP status of the error")
    description: str


class Open311Service(BaseModel):
    service_code: str
    service_name: str
    description: str | None
    metadata: bool
    type: str
    keywords: str | None
    group: str | None


class Open311Value(BaseModel):
    key: str
    name: str


class Open311Attribute(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int | None
    description: str | None
    values: list[Open311Value]


class Open311ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Open311Attribute]


class Open311Request(BaseModel):
    service_request_id: str
    status: str = Field(description="open | closed")
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str = Field(description="ISO 8601 with the +09:00 offset")
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class Open311Created(BaseModel):
    service_request_id: str
    token: str
    service_notice: str | None
    account_id: str | None


class Open311Token(BaseModel):
    service_request_id: str
    token: str


class Open311Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Open311Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint]
