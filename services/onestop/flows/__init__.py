"""DB + outbox orchestration of the onestop service: plain functions taking a Session and the platform."""
