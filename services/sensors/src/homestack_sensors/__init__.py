"""homestack sensors service."""
