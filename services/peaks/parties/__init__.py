"""Simulated parties of the peaks service and their autopilot."""
