"""homestack ingest service."""
