"""RECLIP configs: paper schedules (reclip.py) and the CPU smoke run (smoke.py)."""
