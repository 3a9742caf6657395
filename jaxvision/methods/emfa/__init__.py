"""EMA-Net (energy-motion features aggregation); see method.py."""
