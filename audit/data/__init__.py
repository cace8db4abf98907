"""Loading, column roles and alignment of the audited tables."""
