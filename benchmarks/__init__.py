"""Benchmarks: ratios measured in one process (protocol: benchmarks/timing.py)."""
