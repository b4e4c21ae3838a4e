"""Simulated parties of the roadkill service and their autopilot."""
