"""Losses shared by several methods (method-specific ones live in methods/)."""
