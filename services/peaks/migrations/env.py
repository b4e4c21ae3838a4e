"""Alembic environment of the peaks service (its own history)."""
from services.peaks.models import metadata
from shared.migrations import run_env

run_env(metadata)
