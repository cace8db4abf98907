"""Balance checks: whether demographic groups are represented as in reality, without amplified bias."""
