"""Violence-detection configs: paper presets (biconvlstm.py) and the CPU smoke run (smoke.py)."""
