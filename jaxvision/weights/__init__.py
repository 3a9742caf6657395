"""Converters from published checkpoints to Flax params."""
