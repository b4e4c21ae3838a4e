"""Simulated parties of the onestop service and their autopilot."""
