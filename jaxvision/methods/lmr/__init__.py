"""LMR: local recurrent models for human mesh recovery (seed 002, ch. 6)."""
