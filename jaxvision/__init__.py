"""jaxvision: a JAX/Flax computer-vision framework."""
