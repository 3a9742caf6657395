"""Shared linen modules."""
