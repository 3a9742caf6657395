"""RECLIP: resource-efficient CLIP by training with small images (seed 002, ch. 3)."""
