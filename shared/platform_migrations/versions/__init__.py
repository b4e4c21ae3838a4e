"""Revisions of the `platform` Alembic branch (a package so that they ship with `pip install`)."""
