"""Statistics: pure, documented array functions shared by the engine and the checks (public to plugin authors)."""
