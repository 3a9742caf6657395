"""BiConvLSTM Spatiotemporal / Spatial Encoder violence detection (seed 000, app. A)."""
