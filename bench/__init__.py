"""Benchmarks: each service served as in production, load from a separate process, ratios to a baseline."""
