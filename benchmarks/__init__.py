"""Benchmarks: ratios measured in one process (see shared BENCHMARKS.md)."""
