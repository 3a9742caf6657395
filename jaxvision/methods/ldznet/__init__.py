"""LD-ZNet / ZNet / RGBNet text-based segmentation (seed 000, ch. 3)."""
