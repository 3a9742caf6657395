"""Frozen Stable Diffusion v1.x as a feature extractor (spec ldznet.md 3.3)."""
