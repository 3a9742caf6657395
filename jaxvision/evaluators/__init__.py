"""Evaluators: metrics computed on held-out data."""
