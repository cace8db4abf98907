"""A held-out style catalogue of malformed and adversarial inputs for every command (see :mod:`.run`)."""
