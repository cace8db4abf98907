"""Fidelity checks: whether the synthetic data has the real data's statistics (one module per check)."""
