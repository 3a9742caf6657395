"""VAE attention: visually interpreting VAEs (seed 002, ch. 7)."""
