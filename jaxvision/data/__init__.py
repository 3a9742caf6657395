"""Input pipelines: sources, preprocessing ops, grain pipelines, synthetic datasets."""
