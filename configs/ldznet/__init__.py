"""Configs for the LDM feature extractor and LD-ZNet (spec ldznet.md)."""
