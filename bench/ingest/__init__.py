"""Ingest load benchmark: homestack_ingest (batched, idempotent) vs one PutItem per reading per request."""
