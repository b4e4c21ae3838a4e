"""The Alembic branch `platform`: the tables every service database carries (shared/tables.py).

Its versions/ folder is in every service's `version_locations` (services/*/migrations/alembic.ini);
each service history's first revision `depends_on` it. See docs/shared.md, "Migrations".
"""
from pathlib import Path

VERSIONS = Path(__file__).resolve().parent / "versions"
BRANCH = "platform"
