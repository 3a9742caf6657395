"""The engine: one train loop, state, sharding, optimizers, checkpoints, metrics."""
