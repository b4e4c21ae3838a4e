"""Database tables of the peaks service (plus the shared platform tables)."""
from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import new_metadata
from shared.tables import define_platform_tables

metadata = new_metadata()
platform_tables = define_platform_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata
