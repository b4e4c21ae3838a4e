"""The onestop use cases: each public flow function takes the platform and owns its transaction and its
outbox writes; functions taking a Session are steps run inside another flow's transaction."""
