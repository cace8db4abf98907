"""Constraint checks: whether every value is valid in the domain and the schema matches (one module per check)."""
