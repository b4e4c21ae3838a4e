"""Alembic environment of the onestop service (its own history)."""
from services.onestop.models import metadata
from shared.migrations import run_env

run_env(metadata)
