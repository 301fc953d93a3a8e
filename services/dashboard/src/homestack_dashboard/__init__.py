"""homestack dashboard service."""
