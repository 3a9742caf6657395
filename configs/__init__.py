"""Config files: `get_config(arg)` per file, one folder per method."""
