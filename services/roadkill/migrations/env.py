"""Alembic environment of the roadkill service (its own history)."""
from services.roadkill.models import metadata
from shared.migrations import run_env

run_env(metadata)
