"""Diversity checks: whether the synthetic data is varied and covers the real distribution (one module per check)."""
