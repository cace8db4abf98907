"""Pure builders of the artefacts the audit context shares (encodings, features, indexes)."""
