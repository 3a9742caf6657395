"""MonoIndoor++: self-supervised indoor monocular depth (seed 002, ch. 5)."""
