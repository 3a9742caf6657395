"""VAE-attention configs: smoke runs and the chapter's MNIST / UCSD / MVTec / dSprites settings."""
