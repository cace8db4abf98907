"""Leakage checks: whether the synthetic data copies or exposes real records (one module per check)."""
