"""Roadkill use cases: each public flow takes the platform and owns its transaction."""
