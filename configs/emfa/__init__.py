"""EMA-Net configs: paper tasks/ablations (ema_net.py), CPU smoke (smoke.py)."""
