"""MonoIndoor++ configs: paper settings and the CPU smoke run."""
